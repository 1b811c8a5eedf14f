/**
 * Character Card V2 / V3 (the SillyTavern family's interchange format) to and from a bot. Pure: the PNG container
 * lives in services/card-png.ts. Import keeps the whole card on the bot (`bot_authored.card`), so unknown `extensions`
 * and V3 lorebook (`character_book`) entries survive a round trip; export writes the bot's fields over it.
 */
import { z } from 'zod';
import type { BotAuthored } from './events.js';

export class CardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CardError';
  }
}

const cardData = z.looseObject({
  name: z.string().trim().min(1).max(80),
  description: z.string().max(20_000).default(''),
  personality: z.string().max(20_000).default(''),
  scenario: z.string().max(20_000).default(''),
  first_mes: z.string().max(20_000).default(''),
  mes_example: z.string().max(40_000).default(''),
  extensions: z.record(z.string(), z.unknown()).default({}),
  character_book: z.looseObject({ entries: z.array(z.looseObject({})).default([]) }).optional(),
});

export type CardData = z.infer<typeof cardData>;

export interface Card {
  spec: 'chara_card_v2' | 'chara_card_v3';
  spec_version: string;
  data: CardData;
}

/** Validates a parsed card; the error names the problem (`spec`, or the first missing / wrong field). */
export function parseCard(value: unknown): Card {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CardError('the card is not a JSON object');
  const spec = (value as { spec?: unknown }).spec;
  if (spec !== 'chara_card_v2' && spec !== 'chara_card_v3')
    throw new CardError(`spec must be chara_card_v2 or chara_card_v3, not ${JSON.stringify(spec ?? null)}`);
  const data = cardData.safeParse((value as { data?: unknown }).data);
  if (!data.success) {
    const issue = data.error.issues[0];
    const path = ['data', ...(issue?.path ?? [])].join('.');
    throw new CardError(
      issue?.code === 'invalid_type' && issue.message.includes('undefined')
        ? `${path} is required`
        : `${path}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const version = (value as { spec_version?: unknown }).spec_version;
  return { spec, spec_version: typeof version === 'string' ? version : spec === 'chara_card_v3' ? '3.0' : '2.0', data: data.data };
}

const splitTraits = (personality: string) =>
  personality
    .split(/[,\n]/)
    .map((trait) => trait.trim())
    .filter(Boolean)
    .slice(0, 30);
const splitExamples = (examples: string) =>
  examples
    .split(/<START>/i)
    .map((example) => example.trim())
    .filter(Boolean)
    .slice(0, 20);

/** The bot a card describes (without an id); the card itself rides along for the export. */
export function botFromCard(card: Card): Omit<BotAuthored, 'bot_id'> {
  const d = card.data;
  const kickoff = d.first_mes.trim() || d.scenario.trim() || `${d.name} is here.`;
  return {
    name: d.name.trim(),
    persona: d.description.trim() || d.personality.trim() || d.name.trim(),
    voice_samples: splitExamples(d.mes_example),
    traits: splitTraits(d.personality),
    backstory: d.scenario,
    initial_relationship: '',
    kickoff_prose: kickoff,
    card,
  };
}

export interface CardBot {
  name: string;
  persona: string;
  voice_samples: string[];
  traits: string[];
  backstory: string;
  kickoff_prose: string;
  card: Card | null;
}

/** A V3 card of the bot: its fields over the imported card (whose other fields, extensions and lorebook stay). */
export function cardFromBot(bot: CardBot): Card {
  const base: Partial<CardData> = bot.card?.data ?? {};
  const same = (a: readonly string[], b: readonly string[]) => JSON.stringify(a) === JSON.stringify(b);
  const data: CardData = {
    ...base,
    name: bot.name,
    description: bot.persona,
    personality:
      base.personality !== undefined && same(splitTraits(base.personality), bot.traits) ? base.personality : bot.traits.join(', '),
    scenario: bot.backstory,
    first_mes: bot.kickoff_prose,
    mes_example:
      base.mes_example !== undefined && same(splitExamples(base.mes_example), bot.voice_samples)
        ? base.mes_example
        : bot.voice_samples.map((sample) => `<START>\n${sample}`).join('\n'),
    extensions: base.extensions ?? {},
  };
  return { spec: 'chara_card_v3', spec_version: '3.0', data };
}

/** The same card as V2 (the `chara` chunk older readers look for). */
export function asV2(card: Card): Card {
  return { spec: 'chara_card_v2', spec_version: '2.0', data: card.data };
}

/**
 * Where a card came from, when it says so: a village NPC's card carries `extensions.koivulahti.origin`
 * (`village:<npc id>`). Returns the NPC id of a villager card, otherwise undefined.
 */
export function villagerNpcId(card: unknown): string | undefined {
  const data = (card as { data?: { extensions?: { koivulahti?: { origin?: unknown } } } } | null | undefined)?.data;
  const origin = data?.extensions?.koivulahti?.origin;
  if (typeof origin !== 'string' || !origin.startsWith('village:')) return undefined;
  const npcId = origin.slice('village:'.length);
  return /^[a-z][a-z0-9_]*$/.test(npcId) ? npcId : undefined;
}
