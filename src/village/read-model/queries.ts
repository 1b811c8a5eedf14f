/** Reads of the village's read model: posts (keyset pages), the event timeline, runs, counts, the moderation queue. */
import type { Kysely } from 'kysely';
import { readJson, type StoreDatabase } from '../../store/index.js';
import type { Channel } from '../domain/catalog-schema.js';
import type { PostPublished } from '../domain/events.js';

export type PostStatus = 'visible' | 'hidden' | 'rejected';

/** A published post as read back: what `post_published` carried, plus its row id, sort key and moderation state. */
export interface PostRow extends PostPublished {
  id: number;
  simMs: number;
  status: PostStatus;
  flags: number;
  moderationNote: string | null;
}

export interface EventRow {
  position: number;
  runId: string;
  eventId: string;
  type: string;
  category: string;
  simTime: string;
  simMs: number;
  place: string;
  actors: string[];
  targets: string[];
  impact: number;
  data: unknown;
}

export interface RunRow {
  runId: string;
  world: string;
  seed: number;
  language: string;
  simTime: string | null;
  tick: number;
  day: number;
  weather: string | null;
  version: number;
  startedAt: number;
}

/** Keyset position: strictly before (simMs, id) in newest-first order. */
export interface PostCursor {
  simMs: number;
  id: number;
}

export interface PostQuery {
  runId: string;
  channel?: Channel | undefined;
  authorId?: string | undefined;
  limit: number;
  before?: PostCursor | undefined;
  /** Posts strictly earlier in sim time than this (the seed's `before: datetime`). */
  beforeSimMs?: number | undefined;
  /** Default: visible only (public reads). */
  statuses?: readonly PostStatus[];
}

// biome-ignore lint/suspicious/noExplicitAny: rows of our own tables, mapped below
type Row = Record<string, any>;

export class VillageQueries {
  // biome-ignore lint/suspicious/noExplicitAny: the village tables are not part of a shared schema type
  private readonly db: Kysely<any>;

  constructor(private readonly database: StoreDatabase) {
    this.db = database.db;
  }

  private toPost(row: Row): PostRow {
    return {
      id: Number(row.id),
      runId: row.run_id,
      channel: row.channel,
      authorId: row.author_id,
      sourceEventId: row.source_event_id,
      tone: row.tone,
      text: row.text,
      tags: readJson<string[]>(row.tags, this.database.dialect),
      safetyNotes: row.safety_notes ?? null,
      model: row.model,
      fellBack: Number(row.fell_back) === 1,
      simTime: row.sim_time,
      simMs: Number(row.sim_ms),
      place: row.place ?? null,
      status: row.status,
      flags: Number(row.flags),
      moderationNote: row.moderation_note ?? null,
    };
  }

  private toEvent(row: Row): EventRow {
    return {
      position: Number(row.position),
      runId: row.run_id,
      eventId: row.event_id,
      type: row.type,
      category: row.category,
      simTime: row.sim_time,
      simMs: Number(row.sim_ms),
      place: row.place,
      actors: readJson<string[]>(row.actors, this.database.dialect),
      targets: readJson<string[]>(row.targets, this.database.dialect),
      impact: Number(row.impact),
      data: readJson(row.data, this.database.dialect),
    };
  }

  async listPosts(query: PostQuery): Promise<PostRow[]> {
    let select = this.db
      .selectFrom('village_posts')
      .selectAll()
      .where('run_id', '=', query.runId)
      .where('status', 'in', [...(query.statuses ?? ['visible'])]);
    if (query.channel) select = select.where('channel', '=', query.channel);
    if (query.authorId) select = select.where('author_id', '=', query.authorId);
    if (query.beforeSimMs !== undefined) select = select.where('sim_ms', '<', query.beforeSimMs);
    const before = query.before;
    if (before)
      select = select.where((eb) =>
        eb.or([eb('sim_ms', '<', before.simMs), eb.and([eb('sim_ms', '=', before.simMs), eb('id', '<', before.id)])]),
      );
    const rows = await select.orderBy('sim_ms', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map((row) => this.toPost(row));
  }

  async getPost(id: number): Promise<PostRow | undefined> {
    const row = await this.db.selectFrom('village_posts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.toPost(row) : undefined;
  }

  async findPost(runId: string, sourceEventId: string, channel: Channel, authorId: string): Promise<PostRow | undefined> {
    const row = await this.db
      .selectFrom('village_posts')
      .selectAll()
      .where('run_id', '=', runId)
      .where('source_event_id', '=', sourceEventId)
      .where('channel', '=', channel)
      .where('author_id', '=', authorId)
      .executeTakeFirst();
    return row ? this.toPost(row) : undefined;
  }

  /** Posts needing an admin's eye: hidden, rejected at the boundary, or flagged. Newest first. */
  async moderationQueue(limit = 100): Promise<PostRow[]> {
    const rows = await this.db
      .selectFrom('village_posts')
      .selectAll()
      .where((eb) => eb.or([eb('status', '!=', 'visible'), eb('flags', '>', 0)]))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => this.toPost(row));
  }

  async postCounts(runId: string): Promise<Record<Channel, number> & { hidden: number; rejected: number }> {
    const rows = await this.db
      .selectFrom('village_posts')
      .select(['channel', 'status'])
      .select((eb) => eb.fn.countAll().as('count'))
      .where('run_id', '=', runId)
      .groupBy(['channel', 'status'])
      .execute();
    const counts = { FEED: 0, CHAT: 0, NEWS: 0, hidden: 0, rejected: 0 };
    for (const row of rows) {
      const count = Number(row.count);
      if (row.status === 'visible') counts[row.channel as Channel] += count;
      else if (row.status === 'hidden') counts.hidden += count;
      else counts.rejected += count;
    }
    return counts;
  }

  async listEvents(query: { runId: string; limit: number; beforePosition?: number | undefined }): Promise<EventRow[]> {
    let select = this.db.selectFrom('village_events').selectAll().where('run_id', '=', query.runId);
    if (query.beforePosition !== undefined) select = select.where('position', '<', query.beforePosition);
    const rows = await select.orderBy('position', 'desc').limit(query.limit).execute();
    return rows.map((row) => this.toEvent(row));
  }

  async getEvent(runId: string, eventId: string): Promise<EventRow | undefined> {
    const row = await this.db
      .selectFrom('village_events')
      .selectAll()
      .where('run_id', '=', runId)
      .where('event_id', '=', eventId)
      .executeTakeFirst();
    return row ? this.toEvent(row) : undefined;
  }

  async getRun(runId: string): Promise<RunRow | undefined> {
    const row = await this.db.selectFrom('village_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
    return row
      ? {
          runId: row.run_id,
          world: row.world,
          seed: Number(row.seed),
          language: row.language,
          simTime: row.sim_time ?? null,
          tick: Number(row.tick),
          day: Number(row.day),
          weather: row.weather ?? null,
          version: Number(row.version),
          startedAt: Number(row.started_at),
        }
      : undefined;
  }
}
