/**
 * What the chat's use cases are made of: the runtime's ports (store, bus, queue, kv, LLM, clock), the chat's read model
 * and settings. Each use-case module declares the few it uses (`Pick<ChatDeps, ...>`); `chat-app.ts` wires them.
 */
import type { Clock } from '../../core/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { LlmGateway } from '../../llm/index.js';
import type { EventBus, JobQueue, KvStore } from '../../messaging/ports.js';
import type { StoreDatabase } from '../../store/database.js';
import type { EventStore } from '../../store/event-store.js';
import type { SnapshotStore } from '../../store/snapshots.js';
import type { ChatSettings } from '../config.js';
import type { ChatEvent } from '../domain/events.js';
import type { VillageMemoryInput } from '../domain/retrieval.js';
import { type ChatCommand, ChatRuleError, type ChatState, decide, initialChatState } from '../domain/state.js';
import type { ChatReadModel } from '../read-model/queries.js';
import type { TokenCounter } from './tokens.js';

/** What the chat needs of the village: its NPCs, an NPC's Character Card, and an NPC's village memories as text. */
export interface VillagerSource {
  list(): Array<{ id: string; name: string; age: number; occupation: string }>;
  /** A Character Card V3 object; throws NotFoundError for an unknown NPC. */
  card(npcId: string): unknown;
  /** The NPC's memories in the village's current run, newest first. */
  memories(npcId: string, limit: number): Promise<VillageMemoryInput[]>;
}

export interface ChatDeps {
  store: EventStore;
  database: StoreDatabase;
  read: ChatReadModel;
  llm: LlmGateway;
  bus: EventBus;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  settings: ChatSettings;
  tokens: TokenCounter;
  /** `memory`: this process is the only one; a streaming turn nobody generates is an orphan and can be closed. */
  messagingKind: 'memory' | 'nats';
  /** Where read-model and pre-rewind snapshots go; without it a rewind records `snapshot: null`. */
  snapshots?: SnapshotStore | undefined;
  /** The village's NPCs as characters (wired by index.ts through the village's index.ts); absent: no villagers. */
  villagers?: VillagerSource | undefined;
  metrics?: Metrics | undefined;
  /** Distributed mode: where streaming replies keep their heartbeat, so an engine can close one whose process died. */
  kv?: KvStore | undefined;
}

/** The clock's now as ISO 8601 (what events carry as `at`). */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}

/** `decide` with the domain's refusals turned into the errors the web layer renders (404, 400, 409). */
export function decideChat(command: ChatCommand, state: ChatState | undefined): ChatEvent[] {
  try {
    return decide(command, state ?? initialChatState());
  } catch (error) {
    if (error instanceof ChatRuleError) {
      if (error.rule === 'chat_missing') throw new NotFoundError(error.message);
      if (error.rule === 'empty_turn' || error.rule === 'nothing_to_undo' || error.rule === 'not_latest_reply')
        throw new ValidationError(error.message);
      throw new AppError('duplicate', error.message, { details: { rule: error.rule } });
    }
    throw error;
  }
}

/** The longest turn a user can send (characters). */
export const maxTurnLength = 8_000;

export function checkTurnLength(text: string): void {
  if (text.length > maxTurnLength) throw new ValidationError('a turn is at most 8,000 characters');
}
