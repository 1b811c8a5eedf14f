/**
 * The event store: an append-only log with per-stream optimistic concurrency and one global order (`position`).
 *
 * Ordering guarantee: a reader that has seen position p will never later see a position below p appear.
 * SQLite gives this for free (one writer at a time). On PostgreSQL a sequence value is taken at insert time but
 * becomes visible at commit, so a slow transaction could commit position 10 after position 11 was read; every append
 * therefore takes a transaction-scoped advisory lock first, which makes commit order equal position order.
 * See docs/decisions/0003-event-store-ordering.md.
 */
import { EventEmitter } from 'node:events';
import { type Generated, type Kysely, sql } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import { AppError, ValidationError } from '../core/errors.js';
import { streamCategory } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { StoreDatabase } from './database.js';
import type { DialectAdapter, Listener } from './dialect/index.js';
import { type EventUpcaster, UpcasterRegistry } from './upcasters.js';

export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  metadata?: Record<string, unknown>;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  position: number;
  streamId: string;
  /** 1 for the first event of a stream. */
  version: number;
  type: Type;
  data: Data;
  metadata: Record<string, unknown>;
  /** Epoch milliseconds, wall clock of the appender. */
  recordedAt: number;
}

/** Any event of a typed union `{ type: 'a'; data: A } | { type: 'b'; data: B }`, as recorded. */
export type Recorded<Event extends { type: string; data: unknown }> = Event extends { type: infer Type extends string; data: infer Data }
  ? RecordedEvent<Type, Data>
  : never;

/** The stream's current version (0 = empty), or a looser expectation. */
export type ExpectedVersion = number | 'any' | 'no-stream' | 'stream-exists';

export interface AppendResult {
  /** The stream's version after the append; pass it as the next expected version. */
  nextExpectedVersion: number;
  lastPosition: number;
  events: RecordedEvent[];
}

export class VersionConflictError extends AppError {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  readonly actual: number;
  constructor(streamId: string, expected: ExpectedVersion, actual: number) {
    super('version_conflict', `stream ${streamId} is at version ${actual}, expected ${String(expected)}`, {
      details: { streamId, expected, actual },
    });
    this.name = 'VersionConflictError';
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

export interface EventFilter {
  /** Exact stream ids. */
  streamIds?: readonly string[];
  /** Stream categories: `chat` matches `chat-1`, `chat-2`, ... */
  categories?: readonly string[];
  types?: readonly string[];
}

export interface ReadAllOptions {
  /** Return events with a position strictly greater than this (a checkpoint or an SSE Last-Event-ID). Default 0. */
  after?: number;
  /** Return nothing past this position. */
  upTo?: number;
  limit?: number;
  filter?: EventFilter;
}

export interface ReadStreamOptions {
  fromVersion?: number;
  toVersion?: number;
  limit?: number;
}

export interface SubscribeOptions {
  after?: number;
  filter?: EventFilter;
  signal?: AbortSignal;
  batchSize?: number;
  /** Upper bound on how long a caught-up subscription waits before looking again (other processes, missed signals). */
  pollMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: projections choose their own tables
export type Transaction = Kysely<any>;

/** Runs inside the append's transaction: if it throws, nothing of the append is written. */
export interface InlineProjection {
  name: string;
  /** Event types it cares about; all when absent. */
  handles?: readonly string[];
  apply(transaction: Transaction, events: readonly RecordedEvent[]): Promise<void>;
}

export interface EventStoreOptions {
  clock?: Clock;
  logger?: Logger;
  inlineProjections?: readonly InlineProjection[];
  /** Counts committed events per stream category. */
  metrics?: Metrics | undefined;
  /** Applied to every event read (readStream, readAll, subscribe); see `registerUpcasters`. */
  upcasters?: readonly EventUpcaster[] | undefined;
}

interface EventRow {
  position: Generated<number>;
  stream_id: string;
  version: number;
  type: string;
  data: unknown;
  metadata: unknown;
  recorded_at: number;
}

type EventTables = {
  events: EventRow;
};

type SelectedEventRow = { [Key in keyof EventRow]: EventRow[Key] extends Generated<infer Value> ? Value : EventRow[Key] };

const appendLockKey = 7_411_202_611; // arbitrary, fixed: "the event log append lock"
const notifyChannel = 'koivulahti_events';
const defaultPollMs = 1_000;

/** Rows per INSERT statement of an append (6 bound values each). */
const appendChunkRows = 2_000;

export class EventStore {
  readonly database: StoreDatabase;
  private readonly db: Kysely<EventTables>;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly metrics: Metrics | undefined;
  private readonly inlineProjections: InlineProjection[];
  private readonly upcasters: UpcasterRegistry;
  private readonly appended = new EventEmitter();
  private listener: Listener | undefined;
  private listenerStarting: Promise<void> | undefined;
  private closed = false;

  constructor(database: StoreDatabase, options: EventStoreOptions = {}) {
    this.database = database;
    this.db = database.db as Kysely<EventTables>;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.inlineProjections = [...(options.inlineProjections ?? [])];
    this.upcasters = new UpcasterRegistry(options.upcasters);
    this.appended.setMaxListeners(0);
  }

  /** Adds upcasters (one per stored type across all of them); every later read applies them. */
  registerUpcasters(upcasters: readonly EventUpcaster[]): void {
    this.upcasters.register(upcasters);
  }

  /** Adds an inline projection; it sees every append made after this call. */
  addInlineProjection(projection: InlineProjection): void {
    this.inlineProjections.push(projection);
  }

  async append(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[]): Promise<AppendResult> {
    if (streamId.trim() === '') throw new ValidationError('streamId must not be empty');
    for (const [index, event] of events.entries()) {
      if (typeof event.type !== 'string' || event.type === '')
        throw new ValidationError(`events[${index}].type must be a non-empty string`);
    }
    const recordedAt = this.clock.now();
    let result: AppendResult;
    try {
      result = await this.db.transaction().execute(async (transaction) => {
        await this.database.adapter.lockAppends(transaction, appendLockKey);
        const current = await this.currentVersion(transaction, streamId);
        assertExpected(streamId, expectedVersion, current);
        if (events.length === 0) return { nextExpectedVersion: current, lastPosition: 0, events: [] };
        const rows: Array<{ position: number | string | bigint }> = [];
        // One statement per chunk: a statement binds at most 32,766 values on SQLite (65,535 on PostgreSQL).
        for (let start = 0; start < events.length; start += appendChunkRows) {
          const chunk = events.slice(start, start + appendChunkRows);
          rows.push(
            ...(await transaction
              .insertInto('events')
              .values(
                chunk.map((event, offset) => ({
                  stream_id: streamId,
                  version: current + start + offset + 1,
                  type: event.type,
                  data: JSON.stringify(event.data ?? null),
                  metadata: JSON.stringify(event.metadata ?? {}),
                  recorded_at: recordedAt,
                })),
              )
              .returning(['position', 'version'])
              .execute()),
          );
        }
        const recorded: RecordedEvent[] = events.map((event, index) => ({
          position: Number(rows[index]?.position),
          streamId,
          version: current + index + 1,
          type: event.type,
          data: event.data ?? null,
          metadata: event.metadata ?? {},
          recordedAt,
        }));
        for (const projection of this.inlineProjections) {
          const handled = projection.handles ? recorded.filter((event) => projection.handles?.includes(event.type)) : recorded;
          if (handled.length > 0) await projection.apply(transaction as Transaction, handled);
        }
        const lastPosition = recorded[recorded.length - 1]?.position ?? 0;
        await this.database.adapter.notify(transaction, notifyChannel, String(lastPosition));
        return { nextExpectedVersion: current + events.length, lastPosition, events: recorded };
      });
    } catch (error) {
      if (this.database.adapter.isUniqueViolation(error)) {
        // Another process appended between our version check and insert (possible on SQLite across processes).
        throw new VersionConflictError(streamId, expectedVersion, await this.currentVersion(this.db, streamId));
      }
      throw error;
    }
    if (result.events.length > 0) {
      this.metrics?.eventsAppended.inc({ category: streamCategory(streamId) }, result.events.length);
      this.appended.emit('appended', result.lastPosition);
    }
    return result;
  }

  async readStream<Event extends RecordedEvent = RecordedEvent>(streamId: string, options: ReadStreamOptions = {}): Promise<Event[]> {
    let query = this.db
      .selectFrom('events')
      .selectAll()
      .where('stream_id', '=', streamId)
      .where('version', '>=', options.fromVersion ?? 1)
      .orderBy('version');
    if (options.toVersion !== undefined) query = query.where('version', '<=', options.toVersion);
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map((row) => this.upcasters.upcast(toRecorded(row, this.database.adapter))) as Event[];
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.currentVersion(this.db, streamId);
  }

  /**
   * Up to `limit` matching events in global order. With upcasters, a type filter matches the stored old names too;
   * when an upcaster does not declare its target type, rows are filtered after upcasting and more are read until
   * `limit` is reached or the log (up to `upTo`) is exhausted.
   */
  async readAll<Event extends RecordedEvent = RecordedEvent>(options: ReadAllOptions = {}): Promise<Event[]> {
    const limit = options.limit ?? 1_000;
    const wanted = options.filter?.types && options.filter.types.length > 0 ? options.filter.types : undefined;
    const query = wanted ? this.upcasters.storedTypesFor(wanted) : undefined;
    const events: RecordedEvent[] = [];
    let after = options.after ?? 0;
    for (;;) {
      const requested = limit - events.length;
      const rows = await this.selectEvents({ ...options, after, limit: requested }, query?.storedTypes);
      for (const row of rows) {
        const event = this.upcasters.upcast(toRecorded(row, this.database.adapter));
        if (!query?.filterAfterUpcast || wanted?.includes(event.type)) events.push(event);
      }
      const last = rows[rows.length - 1];
      if (!query?.filterAfterUpcast || rows.length < requested || events.length >= limit || !last) return events as Event[];
      after = Number(last.position);
    }
  }

  private selectEvents(options: ReadAllOptions & { limit: number }, types: readonly string[] | undefined) {
    let query = this.db
      .selectFrom('events')
      .selectAll()
      .where('position', '>', options.after ?? 0)
      .orderBy('position')
      .limit(options.limit);
    if (options.upTo !== undefined) query = query.where('position', '<=', options.upTo);
    if (types && types.length > 0) query = query.where('type', 'in', types);
    const streamIds = options.filter?.streamIds ?? [];
    const categories = options.filter?.categories ?? [];
    if (streamIds.length > 0 || categories.length > 0) {
      query = query.where((expression) =>
        expression.or([
          ...(streamIds.length > 0 ? [expression('stream_id', 'in', streamIds)] : []),
          ...categories.map((category) => sql<boolean>`substr(stream_id, 1, ${category.length + 1}) = ${`${category}-`}`),
        ]),
      );
    }
    return query.execute();
  }

  /** The highest position written so far (0 for an empty log). */
  async headPosition(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((expression) => expression.fn.max('position').as('head'))
      .executeTakeFirst();
    return Number(row?.head ?? 0);
  }

  /**
   * Every matching event after `after`, then live ones as they are appended, until the signal aborts.
   * Resumable: pass the last position you processed.
   */
  async *subscribe<Event extends RecordedEvent = RecordedEvent>(options: SubscribeOptions = {}): AsyncGenerator<Event> {
    const { signal, filter } = options;
    const batchSize = options.batchSize ?? 500;
    const pollMs = options.pollMs ?? defaultPollMs;
    let position = options.after ?? 0;
    await this.ensureListener();
    while (!signal?.aborted && !this.closed) {
      const woke = this.nextAppend(pollMs, signal);
      const head = await this.headPosition();
      const batch =
        head > position ? await this.readAll<Event>({ after: position, upTo: head, limit: batchSize, ...(filter ? { filter } : {}) }) : [];
      for (const event of batch) {
        if (signal?.aborted) return;
        yield event;
        position = event.position;
      }
      if (batch.length < batchSize) position = Math.max(position, head);
      if (batch.length === 0) await woke.promise;
      woke.cancel();
    }
  }

  /** Resolves on the next append (this process, or another one on PostgreSQL), after `timeoutMs`, or on abort. */
  private nextAppend(timeoutMs: number, signal: AbortSignal | undefined): { promise: Promise<void>; cancel(): void } {
    let done: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      done = resolve;
    });
    const timer = setTimeout(() => done(), timeoutMs);
    const onAppend = () => done();
    this.appended.once('appended', onAppend);
    signal?.addEventListener('abort', onAppend, { once: true });
    promise.then(() => cancel());
    const cancel = () => {
      clearTimeout(timer);
      this.appended.off('appended', onAppend);
      signal?.removeEventListener('abort', onAppend);
    };
    return { promise, cancel };
  }

  /** Where the dialect can, one LISTEN connection per store wakes subscribers when another process appends. */
  private async ensureListener(): Promise<void> {
    if (this.listener || this.closed) return;
    this.listenerStarting ??= (async () => {
      const onError = (error: Error) => {
        this.logger?.warn({ error: error.message }, 'event store LISTEN connection failed; subscribers fall back to polling');
        this.listener = undefined;
        this.listenerStarting = undefined;
      };
      try {
        this.listener = await this.database.adapter.listen(notifyChannel, () => this.appended.emit('appended'), onError);
      } catch (error) {
        this.logger?.warn({ error: (error as Error).message }, 'cannot LISTEN for appends; subscribers poll');
        this.listenerStarting = undefined;
      }
    })();
    await this.listenerStarting;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.appended.emit('appended');
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await listener.close();
  }

  private async currentVersion(executor: Kysely<EventTables>, streamId: string): Promise<number> {
    const row = await executor
      .selectFrom('events')
      .select((expression) => expression.fn.max('version').as('version'))
      .where('stream_id', '=', streamId)
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }
}

function assertExpected(streamId: string, expected: ExpectedVersion, actual: number): void {
  const matches =
    expected === 'any' ||
    (expected === 'no-stream' && actual === 0) ||
    (expected === 'stream-exists' && actual > 0) ||
    (typeof expected === 'number' && expected === actual);
  if (!matches) throw new VersionConflictError(streamId, expected, actual);
}

function toRecorded(row: SelectedEventRow, adapter: DialectAdapter): RecordedEvent {
  return {
    position: Number(row.position),
    streamId: row.stream_id,
    version: Number(row.version),
    type: row.type,
    data: adapter.readJson(row.data),
    metadata: adapter.readJson<Record<string, unknown>>(row.metadata),
    recordedAt: Number(row.recorded_at),
  };
}
