/** Authoring: who you are, a bot, and a chat's start (the kickoff read from the bot's prose, then confirmed). */
import { createId } from '../../core/ids.js';
import { type BotAuthored, botStreamId, type ChatEvent, chatStreamId, type YouAuthored, youStreamId } from '../domain/events.js';
import { confirmedKickoff, heuristicKickoff, type KickoffParse, kickoffParseSchema } from '../domain/kickoff.js';
import { fitText } from '../domain/prompt.js';
import { type ChatDeps, decideChat, isoNow } from './context.js';

export type AuthoringDeps = Pick<ChatDeps, 'store' | 'read' | 'llm' | 'clock' | 'settings' | 'tokens'>;

export interface KickoffReading {
  parse: KickoffParse;
  fellBack: boolean;
  model: string;
}

export class Authoring {
  constructor(private readonly deps: AuthoringDeps) {}

  async authorYou(you: YouAuthored): Promise<void> {
    await this.deps.store.append(youStreamId, 'any', [{ type: 'you_authored', data: you } satisfies ChatEvent]);
  }

  async authorBot(bot: Omit<BotAuthored, 'bot_id'>): Promise<string> {
    const botId = createId('bot');
    await this.deps.store.append(botStreamId(botId), 'no-stream', [
      { type: 'bot_authored', data: { bot_id: botId, ...bot } } satisfies ChatEvent,
    ]);
    return botId;
  }

  /** Reads the bot's kickoff prose into the KickoffParse shape (the classifier, or the deterministic first reading). */
  async parseKickoff(botId: string, signal?: AbortSignal): Promise<KickoffReading> {
    const bot = await this.deps.read.requireBot(botId);
    const you = await this.deps.read.you();
    const now = isoNow(this.deps.clock);
    const guess = heuristicKickoff(bot.kickoff_prose, bot.initial_relationship, now);
    const counter = await this.deps.tokens.counter();
    const prose = fitText(bot.kickoff_prose, this.deps.settings.classifier_budget - 600, counter);
    const result = await this.deps.llm.generateObject(
      'classifier',
      kickoffParseSchema,
      [
        {
          role: 'system',
          content:
            'Read the kickoff of a roleplay and describe where it starts: the place (container), what each person is doing, the starting time (ISO 8601) and how the character sees the user.',
        },
        {
          role: 'user',
          content: `Character: ${bot.name}. ${bot.persona}\nUser: ${you?.name ?? 'you'}\nRelationship: ${bot.initial_relationship}\nToday: ${now}\n\nKickoff:\n${prose}`,
        },
      ],
      { fallback: guess, context: guess, cacheKey: `chat-kickoff/${botId}`, ...(signal ? { signal } : {}) },
    );
    return { parse: result.object, fellBack: result.fellBack, model: result.model };
  }

  /** Starts a chat from a confirmed kickoff; returns its id. */
  async confirmKickoff(botId: string, parse: KickoffParse): Promise<string> {
    const bot = await this.deps.read.requireBot(botId);
    const ids = { chatId: createId('c'), botId: bot.bot_id, containerId: createId('ctr'), sceneId: createId('scn') };
    const kickoff = confirmedKickoff(parse, ids, isoNow(this.deps.clock));
    const events = decideChat({ type: 'confirm_kickoff', kickoff }, undefined);
    await this.deps.store.append(chatStreamId(ids.chatId), 'no-stream', events);
    return ids.chatId;
  }
}
