/** Reads of the chat read models. Full-text memory search goes through the store's dialect adapter. */
import { sql } from 'kysely';
import { NotFoundError } from '../../core/errors.js';
import type { StoreDatabase } from '../../store/database.js';
import type { ActivityAction, LedgerEntry, PromptLedger, RetrievedMemory, TurnSegment } from '../domain/events.js';
import type { PinCandidate } from '../domain/passes.js';
import type { MemoryCandidate } from '../domain/retrieval.js';
import type { ChatState } from '../domain/state.js';
import { memorySearchIndex } from './migrations.js';

export interface YouRow {
  name: string;
  pronouns: string;
  persona: string;
}

export interface BotRow {
  bot_id: string;
  name: string;
  persona: string;
  voice_samples: string[];
  traits: string[];
  backstory: string;
  initial_relationship: string;
  kickoff_prose: string;
  /** The imported Character Card, if the bot came from one. */
  card: unknown;
}

export interface ChatRow {
  chat_id: string;
  bot_id: string;
  state: ChatState;
  version: number;
  last_snippet: string;
  last_ledger: PromptLedger | null;
  last_retrieved: RetrievedMemory[] | null;
}

export interface MessageRow {
  turn_id: string;
  chat_id: string;
  role: 'user' | 'assistant';
  text: string;
  segments: TurnSegment[] | null;
  status: 'streaming' | 'done';
  truncated: boolean;
  ended: string | null;
  error: string | null;
  at: string;
  position: number;
  /** The reply that replaced this one (a regenerate); the row stays as a browsable variant. */
  superseded_by: string | null;
  /** For a reply: your turn it answers. */
  reply_to: string | null;
  /** For your turn edited before a regenerate: the text it had first. */
  edited_from: string | null;
}

/** Every read-model row of one chat (and its bot's edges), in a stable order: snapshots and dump comparisons. */
export interface ChatDump {
  chat: Record<string, unknown> | undefined;
  tables: Record<string, Array<Record<string, unknown>>>;
}

export interface MemoryRow {
  memory_id: string;
  owner_id: string;
  chat_id: string;
  turn_id: string | null;
  pov_summary: string;
  witness: { you: boolean; host: boolean; guest: boolean };
  chat_clock_at: string;
  significance: number;
  pinned: boolean;
  auto_pinned: boolean;
  position: number;
}

export interface EdgeRow {
  source_id: string;
  target_id: string;
  affinity: number;
  trust: number;
  summary: string;
  knowledge: string[];
}

export interface ActivityRow {
  entity_id: string;
  container_id: string;
  posture: string;
  action: ActivityAction;
  attention: string;
  holding: string[];
}

export interface ContainerRow {
  container_id: string;
  name: string;
  type: string;
  properties: { moving: boolean; public: boolean; audible_range: string };
}

export type { LedgerEntry };

export class ChatReadModel {
  constructor(private readonly database: StoreDatabase) {}

  private get db() {
    return this.database.db;
  }

  private json<T>(value: unknown): T {
    return this.database.adapter.readJson<T>(value);
  }

  async you(): Promise<YouRow | undefined> {
    const row = await this.db.selectFrom('chat_you').selectAll().where('id', '=', 'you').executeTakeFirst();
    return row ? { name: row.name, pronouns: row.pronouns, persona: row.persona } : undefined;
  }

  async bots(): Promise<BotRow[]> {
    const rows = await this.db.selectFrom('chat_bots').selectAll().orderBy('position').execute();
    return rows.map((row) => this.bot_(row));
  }

  async bot(botId: string): Promise<BotRow | undefined> {
    const row = await this.db.selectFrom('chat_bots').selectAll().where('bot_id', '=', botId).executeTakeFirst();
    return row ? this.bot_(row) : undefined;
  }

  // biome-ignore lint/suspicious/noExplicitAny: untyped row
  private bot_(row: any): BotRow {
    return {
      bot_id: row.bot_id,
      name: row.name,
      persona: row.persona,
      voice_samples: this.json<string[]>(row.voice_samples),
      traits: this.json<string[]>(row.traits),
      backstory: row.backstory,
      initial_relationship: row.initial_relationship,
      kickoff_prose: row.kickoff_prose,
      card: row.card == null ? null : this.json<unknown>(row.card),
    };
  }

  async chats(): Promise<Array<ChatRow & { bot_name: string }>> {
    const rows = await this.db
      .selectFrom('chat_chats as c')
      .innerJoin('chat_bots as b', 'b.bot_id', 'c.bot_id')
      .select(['c.chat_id', 'c.bot_id', 'c.state', 'c.version', 'c.last_snippet', 'b.name as bot_name'])
      .orderBy('c.updated_position', 'desc')
      .execute();
    return rows.map((row) => ({ ...this.chat_(row), bot_name: row.bot_name }));
  }

  async chat(chatId: string): Promise<ChatRow | undefined> {
    const row = await this.db.selectFrom('chat_chats').selectAll().where('chat_id', '=', chatId).executeTakeFirst();
    return row ? this.chat_(row) : undefined;
  }

  /** The bot, or NotFoundError (404) naming it. */
  async requireBot(botId: string): Promise<BotRow> {
    const bot = await this.bot(botId);
    if (!bot) throw new NotFoundError(`no bot ${botId}`, { botId });
    return bot;
  }

  /** The chat, or NotFoundError (404) naming it. */
  async requireChat(chatId: string): Promise<ChatRow> {
    const chat = await this.chat(chatId);
    if (!chat) throw new NotFoundError(`no chat ${chatId}`, { chatId });
    return chat;
  }

  // biome-ignore lint/suspicious/noExplicitAny: untyped row
  private chat_(row: any): ChatRow {
    return {
      chat_id: row.chat_id,
      bot_id: row.bot_id,
      state: this.json<ChatState>(row.state),
      version: Number(row.version),
      last_snippet: row.last_snippet ?? '',
      last_ledger: row.last_ledger == null ? null : this.json<PromptLedger>(row.last_ledger),
      last_retrieved: row.last_retrieved == null ? null : this.json<RetrievedMemory[]>(row.last_retrieved),
    };
  }

  // biome-ignore lint/suspicious/noExplicitAny: untyped row
  private message_(row: any): MessageRow {
    return {
      turn_id: row.turn_id,
      chat_id: row.chat_id,
      role: row.role,
      text: row.text,
      segments: row.segments == null ? null : this.json<TurnSegment[]>(row.segments),
      status: row.status,
      truncated: Number(row.truncated) === 1,
      ended: row.ended ?? null,
      error: row.error ?? null,
      at: row.at,
      position: Number(row.position),
      superseded_by: row.superseded_by ?? null,
      reply_to: row.reply_to ?? null,
      edited_from: row.edited_from ?? null,
    };
  }

  /**
   * Every read-model row of the chat: the chat row (parsed), containers, scenes, activity, messages, memories, the
   * full-text rows of its memories (SQLite) and the edges of its bot. JSON columns are parsed, numbers normalised.
   */
  async dump(chatId: string): Promise<ChatDump> {
    const normalise = (row: Record<string, unknown>) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row).sort(([a], [b]) => a.localeCompare(b))) {
        if (key === 'search') continue;
        if (typeof value === 'string' && /^[[{]/.test(value)) {
          try {
            out[key] = JSON.parse(value);
            continue;
          } catch {
            // plain text that starts with a bracket
          }
        }
        out[key] = typeof value === 'bigint' ? Number(value) : value;
      }
      return out;
    };
    const chat = await this.db.selectFrom('chat_chats').selectAll().where('chat_id', '=', chatId).executeTakeFirst();
    const tables: ChatDump['tables'] = {};
    const byChat = async (table: string, order: string) =>
      (
        await this.db
          .selectFrom(table as 'chat_messages')
          .selectAll()
          .where('chat_id', '=', chatId)
          .orderBy(order as 'turn_id')
          .execute()
      ).map((row) => normalise(row as Record<string, unknown>));
    tables.chat_containers = await byChat('chat_containers', 'container_id');
    tables.chat_scenes = await byChat('chat_scenes', 'scene_id');
    tables.chat_activity = await byChat('chat_activity', 'entity_id');
    tables.chat_messages = await byChat('chat_messages', 'position');
    tables.chat_memories = await byChat('chat_memories', 'position');
    const indexRows = await this.database.adapter.fullTextRows(
      this.db,
      memorySearchIndex,
      sql`select memory_id from chat_memories where chat_id = ${chatId}`,
    );
    if (indexRows) tables.chat_memories_fts = indexRows.map(normalise);
    const botId = chat ? String(chat.bot_id) : '';
    tables.chat_edges = (
      await this.db
        .selectFrom('chat_edges')
        .selectAll()
        .where((expression) => expression.or([expression('source_id', '=', botId), expression('target_id', '=', botId)]))
        .orderBy('source_id')
        .orderBy('target_id')
        .execute()
    ).map((row) => normalise(row as Record<string, unknown>));
    return { chat: chat ? normalise(chat as Record<string, unknown>) : undefined, tables };
  }

  /** The newest `limit` messages, oldest first, and how many older ones there are. */
  async messages(chatId: string, limit = 200): Promise<{ messages: MessageRow[]; older: number }> {
    const rows = await this.db
      .selectFrom('chat_messages')
      .selectAll()
      .where('chat_id', '=', chatId)
      .orderBy('position', 'desc')
      .limit(limit)
      .execute();
    const messages = rows.reverse().map((row) => this.message_(row));
    if (messages.length < limit) return { messages, older: 0 };
    const total = await this.db
      .selectFrom('chat_messages')
      .select((expression) => expression.fn.countAll().as('n'))
      .where('chat_id', '=', chatId)
      .executeTakeFirst();
    return { messages, older: Math.max(0, Number(total?.n ?? 0) - messages.length) };
  }

  async message(turnId: string): Promise<MessageRow | undefined> {
    const row = await this.db.selectFrom('chat_messages').selectAll().where('turn_id', '=', turnId).executeTakeFirst();
    return row ? this.message_(row) : undefined;
  }

  async containers(chatId: string): Promise<ContainerRow[]> {
    const rows = await this.db.selectFrom('chat_containers').selectAll().where('chat_id', '=', chatId).execute();
    return rows.map((row) => ({ container_id: row.container_id, name: row.name, type: row.type, properties: this.json(row.properties) }));
  }

  async scenes(
    chatId: string,
  ): Promise<Array<{ scene_id: string; container_id: string; started_at: string; ended_at: string | null; participants: string[] }>> {
    const rows = await this.db.selectFrom('chat_scenes').selectAll().where('chat_id', '=', chatId).execute();
    return rows.map((row) => ({
      scene_id: row.scene_id,
      container_id: row.container_id,
      started_at: row.started_at,
      ended_at: row.ended_at ?? null,
      participants: this.json<string[]>(row.participants),
    }));
  }

  async activity(chatId: string): Promise<ActivityRow[]> {
    const rows = await this.db.selectFrom('chat_activity').selectAll().where('chat_id', '=', chatId).orderBy('entity_id').execute();
    return rows.map((row) => ({
      entity_id: row.entity_id,
      container_id: row.container_id,
      posture: row.posture,
      action: this.json<ActivityAction>(row.action),
      attention: row.attention,
      holding: this.json<string[]>(row.holding),
    }));
  }

  async edges(entityIds: readonly string[]): Promise<EdgeRow[]> {
    if (entityIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('chat_edges')
      .selectAll()
      .where('source_id', 'in', entityIds)
      .where('target_id', 'in', entityIds)
      .orderBy('source_id')
      .execute();
    return rows.map((row) => ({
      source_id: row.source_id,
      target_id: row.target_id,
      affinity: Number(row.affinity),
      trust: Number(row.trust),
      summary: row.summary,
      knowledge: this.json<string[]>(row.knowledge),
    }));
  }

  // biome-ignore lint/suspicious/noExplicitAny: untyped row
  private memory_(row: any): MemoryRow {
    return {
      memory_id: row.memory_id,
      owner_id: row.owner_id,
      chat_id: row.chat_id,
      turn_id: row.turn_id ?? null,
      pov_summary: row.pov_summary,
      witness: { you: Number(row.witness_you) === 1, host: Number(row.witness_host) === 1, guest: Number(row.witness_guest) === 1 },
      chat_clock_at: row.chat_clock_at,
      significance: Number(row.significance),
      pinned: Number(row.pinned) === 1,
      auto_pinned: Number(row.auto_pinned) === 1,
      position: Number(row.position),
    };
  }

  async memory(memoryId: string): Promise<MemoryRow | undefined> {
    const row = await this.db.selectFrom('chat_memories').selectAll().where('memory_id', '=', memoryId).executeTakeFirst();
    return row ? this.memory_(row) : undefined;
  }

  async sceneMemories(sceneId: string, ownerId: string): Promise<MemoryRow[]> {
    const rows = await this.db
      .selectFrom('chat_memories')
      .selectAll()
      .where('scene_id', '=', sceneId)
      .where('owner_id', '=', ownerId)
      .orderBy('position')
      .execute();
    return rows.map((row) => this.memory_(row));
  }

  async recentMemories(chatId: string, limit = 5): Promise<MemoryRow[]> {
    const rows = await this.db
      .selectFrom('chat_memories')
      .selectAll()
      .where('chat_id', '=', chatId)
      .orderBy('position', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => this.memory_(row));
  }

  async pinned(ownerId: string): Promise<MemoryRow[]> {
    const rows = await this.db
      .selectFrom('chat_memories')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('pinned', '=', 1)
      .orderBy('position')
      .execute();
    return rows.map((row) => this.memory_(row));
  }

  async pinCandidates(ownerId: string): Promise<PinCandidate[]> {
    return (await this.pinned(ownerId)).map((memory) => ({
      memory_id: memory.memory_id,
      pinned: memory.pinned,
      auto_pinned: memory.auto_pinned,
      significance: memory.significance,
      order: memory.position,
    }));
  }

  /**
   * Memories of `ownerId` witnessed in `role` that match any of `terms`, best first (at most `limit`), with a 0..1
   * text score and their age (how many of the owner's memories are newer).
   */
  async searchMemories(ownerId: string, role: 'you' | 'host' | 'guest', terms: readonly string[], limit = 32): Promise<MemoryCandidate[]> {
    if (terms.length === 0) return [];
    const witness = sql.ref(`m.witness_${role}`);
    const age = sql<number>`(select count(*) from chat_memories newer where newer.owner_id = m.owner_id and newer.position > m.position)`;
    const search = this.database.adapter.fullTextSearch(memorySearchIndex, 'm', terms);
    const result = await sql<{ memory_id: string; pov_summary: string; pinned: number; significance: number; rank: number; age: number }>`
      select m.memory_id, m.pov_summary, m.pinned, m.significance, ${search.rank} as rank, ${age} as age
      from chat_memories m ${search.join}
      where ${search.matches} and m.owner_id = ${ownerId} and ${witness} = 1
      order by rank desc limit ${limit}`.execute(this.db);
    return result.rows.map((row) => candidate(row, matchFloor + (1 - matchFloor) * search.relevance(Number(row.rank))));
  }

  async pinnedCandidates(ownerId: string, role: 'you' | 'host' | 'guest'): Promise<MemoryCandidate[]> {
    const pinned = await this.pinned(ownerId);
    return pinned
      .filter((memory) => memory.witness[role])
      .map((memory) => ({
        memory_id: memory.memory_id,
        pov_summary: memory.pov_summary,
        pinned: true,
        significance: memory.significance,
        text: 0,
        age: 0,
      }));
  }

  async hasMemoryForTurn(turnId: string): Promise<boolean> {
    const row = await this.db.selectFrom('chat_memories').select('memory_id').where('turn_id', '=', turnId).executeTakeFirst();
    return row !== undefined;
  }
}

/** Any match counts: bm25 and ts_rank fall to ~0 for words every memory has. */
const matchFloor = 0.3;

function candidate(
  row: { memory_id: string; pov_summary: string; pinned: number; significance: number; age: number },
  text: number,
): MemoryCandidate {
  return {
    memory_id: row.memory_id,
    pov_summary: row.pov_summary,
    pinned: Number(row.pinned) === 1,
    significance: Number(row.significance),
    text,
    age: Number(row.age),
  };
}
