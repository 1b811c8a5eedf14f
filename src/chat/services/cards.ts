/**
 * Character Cards: a V2/V3 card (PNG with `ccv3` / `chara` tEXt chunks, or JSON) imported as a new bot, a bot exported
 * as a V3 card (JSON or PNG), and a village NPC opened as a character through the same import.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { botFromCard, type Card, CardError, cardFromBot, parseCard } from '../domain/cards.js';
import type { Authoring } from './authoring.js';
import { readCardFile, writeCardPng } from './card-png.js';
import type { ChatDeps } from './context.js';

export interface CardsDeps extends Pick<ChatDeps, 'read' | 'villagers'> {
  authoring: Authoring;
}

export interface Villager {
  id: string;
  name: string;
  age: number;
  occupation: string;
}

export class Cards {
  constructor(private readonly deps: CardsDeps) {}

  /** Imports a Character Card V2/V3 (a PNG with `ccv3` / `chara`, JSON bytes, or a parsed JSON object) as a new bot. */
  async importCard(file: unknown): Promise<{ botId: string; name: string }> {
    let card: Card;
    try {
      card = Buffer.isBuffer(file) ? readCardFile(file) : parseCard(file);
    } catch (error) {
      if (error instanceof CardError) throw new ValidationError(`character card: ${error.message}`);
      throw error;
    }
    const bot = botFromCard(card);
    const botId = await this.deps.authoring.authorBot(bot);
    return { botId, name: bot.name };
  }

  /** The village's NPCs that can be opened as characters (empty without a village). */
  villagers(): Villager[] {
    return this.deps.villagers?.list() ?? [];
  }

  /**
   * Opens a village NPC as a character: its Character Card (persona from the catalog, origin `village:<npc id>` in
   * `extensions.koivulahti`) goes through the card import; the NPC's village memories are searched on every turn.
   */
  async importVillager(npcId: string): Promise<{ botId: string; name: string }> {
    if (!this.deps.villagers) throw new NotFoundError('no village is running in this process');
    return this.importCard(this.deps.villagers.card(npcId));
  }

  /** The bot as a V3 card (its fields over the card it was imported from). */
  async exportCard(botId: string): Promise<Card> {
    const bot = await this.deps.read.requireBot(botId);
    let card: Card | null = null;
    try {
      card = bot.card ? parseCard(bot.card) : null;
    } catch {
      card = null;
    }
    return cardFromBot({ ...bot, card });
  }

  async exportCardPng(botId: string): Promise<Buffer> {
    return writeCardPng(await this.exportCard(botId));
  }
}
