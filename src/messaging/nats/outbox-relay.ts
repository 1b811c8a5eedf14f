/**
 * The outbox relay (DESIGN §3): mirrors the event log to NATS JetStream so outside consumers can tail it. The DB is
 * the truth; the relay reads after its checkpoint, publishes, and only then advances the checkpoint.
 *
 * Layout per prefix: stream `<PREFIX>_EVENTS` (subjects `<prefix>.events.>`); each event goes to
 * `<prefix>.events.<category>` (category = stream id before the first dash, see `streamCategory`), in position order,
 * as JSON `{ position, streamId, version, type, data, metadata, recordedAt }`, with `Nats-Msg-Id` = the position.
 *
 * Delivery: at-least-once from the relay, exactly-once in the stream within its duplicate window. A crash between the
 * publish acks and the checkpoint write re-publishes the same positions on restart; the server drops them as
 * duplicates if the restart comes within `dedupeWindowMs` (default 2 minutes). After a longer outage a consumer can
 * still see a position twice and should skip positions it has already seen (they increase strictly).
 *
 * The checkpoint is a row `outbox:<prefix>` (by default) in `projection_checkpoints`, the table of the async projections.
 * Run one relay per prefix and database: two relays would both publish (harmless inside the duplicate window) and race
 * on the checkpoint (which never moves backwards).
 */

import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import { streamCategory } from '../../core/ids.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { sleep } from '../../core/sleep.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import { connectNats } from './nats-connection.js';

export interface OutboxRelayOptions {
  store: EventStore;
  /** A connection (stays the caller's) or a URL (the relay connects, and `close` disconnects). */
  nats: NatsConnection | string;
  /** Names the stream and subjects; letters, digits, - and _. Default `koivulahti`. */
  prefix?: string;
  /** The checkpoint row in `projection_checkpoints`. Default `outbox:<prefix>`. */
  checkpointName?: string;
  /** Events read and published per checkpoint write in `runOnce`. Default 256. */
  batchSize?: number;
  /** How long the stream remembers a `Nats-Msg-Id`. Default 2 minutes; used only when the relay creates the stream. */
  dedupeWindowMs?: number;
  /** Default file; memory suits tests. Used only when the relay creates the stream. */
  storage?: 'file' | 'memory';
  /** Timeout of each JetStream API call and publish ack. Default 5 s. */
  requestTimeoutMs?: number;
  /** Pause before `run` retries after a failure (NATS or database down). Default 1 s. */
  retryDelayMs?: number;
  clock?: Clock;
  logger?: Logger;
  /**
   * Called after a batch's publishes are acknowledged and before its checkpoint is written. For fault-injection
   * tests: throwing here simulates a crash between publish and checkpoint.
   */
  beforeCheckpoint?: (events: readonly RecordedEvent[]) => void | Promise<void>;
}

/** The JSON body of a mirrored event. */
export interface OutboxMessage {
  position: number;
  streamId: string;
  version: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: number;
}

type CheckpointTables = {
  projection_checkpoints: { name: string; position: number; updated_at: number };
};

const prefixPattern = /^[A-Za-z0-9_-]{1,64}$/;
/** Characters a NATS subject token cannot hold. */
const invalidTokenCharacters = /[\s.*>]/g;

/** The JetStream stream of a prefix: `<PREFIX>_EVENTS`. */
export function outboxStreamName(prefix: string): string {
  return `${prefix.toUpperCase()}_EVENTS`;
}

/** The subject of an event's stream id: `<prefix>.events.<category>`; characters invalid in a subject token become `_`. */
export function outboxSubject(prefix: string, streamId: string): string {
  const token = streamCategory(streamId).replace(invalidTokenCharacters, '_');
  return `${prefix}.events.${token === '' ? '_' : token}`;
}

export class OutboxRelay {
  readonly prefix: string;
  readonly streamName: string;
  readonly checkpointName: string;
  private readonly store: EventStore;
  private readonly db: Kysely<CheckpointTables>;
  private readonly nats: NatsConnection | string;
  private readonly batchSize: number;
  private readonly dedupeWindowMs: number;
  private readonly storage: StorageType;
  private readonly requestTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly beforeCheckpoint: OutboxRelayOptions['beforeCheckpoint'];
  private connection: Promise<NatsConnection> | undefined;
  private client: Promise<JetStreamClient> | undefined;

  constructor(options: OutboxRelayOptions) {
    this.prefix = options.prefix ?? 'koivulahti';
    if (!prefixPattern.test(this.prefix))
      throw new ValidationError(`invalid outbox prefix ${JSON.stringify(this.prefix)}: use 1-64 letters, digits, - and _`);
    this.batchSize = options.batchSize ?? 256;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new ValidationError('batchSize must be a positive integer');
    this.streamName = outboxStreamName(this.prefix);
    this.checkpointName = options.checkpointName ?? `outbox:${this.prefix}`;
    this.store = options.store;
    this.db = options.store.database.db as Kysely<CheckpointTables>;
    this.nats = options.nats;
    this.dedupeWindowMs = options.dedupeWindowMs ?? 120_000;
    this.storage = options.storage === 'memory' ? StorageType.Memory : StorageType.File;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.beforeCheckpoint = options.beforeCheckpoint;
  }

  /** The last position known to be in the stream (0 before the first run). */
  async checkpoint(): Promise<number> {
    const row = await this.db
      .selectFrom('projection_checkpoints')
      .select('position')
      .where('name', '=', this.checkpointName)
      .executeTakeFirst();
    return Number(row?.position ?? 0);
  }

  /** Publishes everything after the checkpoint up to the current head, batch by batch; returns the number published. */
  async runOnce(): Promise<number> {
    const client = await this.jetstreamClient();
    let published = 0;
    for (;;) {
      const after = await this.checkpoint();
      const head = await this.store.headPosition();
      if (head <= after) return published;
      const events = await this.store.readAll({ after, upTo: head, limit: this.batchSize });
      await this.publishAll(client, events);
      const reached = events.length < this.batchSize ? head : (events[events.length - 1]?.position ?? head);
      await this.commit(events, reached);
      published += events.length;
    }
  }

  /**
   * Catches up, then follows live appends until the signal aborts. On a failure it logs, waits `retryDelayMs` and
   * resumes from the checkpoint, so a NATS or database outage only delays the mirror.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.runOnce();
        const client = await this.jetstreamClient();
        const after = await this.checkpoint();
        for await (const event of this.store.subscribe({ after, signal, batchSize: this.batchSize })) {
          await this.publishAll(client, [event]);
          await this.commit([event], event.position);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.logger.warn({ err: error, stream: this.streamName }, 'outbox relay failed; retrying from the checkpoint');
        await sleep(this.retryDelayMs, signal).catch(() => undefined);
      }
    }
  }

  /** Disconnects when the relay opened the connection itself; a connection passed in stays open. */
  async close(): Promise<void> {
    if (typeof this.nats !== 'string' || !this.connection) return;
    const connection = await this.connection.catch(() => undefined);
    this.connection = undefined;
    this.client = undefined;
    if (connection && !connection.isClosed()) await connection.drain().catch(() => undefined);
  }

  private async publishAll(client: JetStreamClient, events: readonly RecordedEvent[]): Promise<void> {
    // One at a time: each ack is in the stream before the next position is sent, so the stream order is position order.
    for (const event of events) {
      const message: OutboxMessage = {
        position: event.position,
        streamId: event.streamId,
        version: event.version,
        type: event.type,
        data: event.data,
        metadata: event.metadata,
        recordedAt: event.recordedAt,
      };
      await client.publish(outboxSubject(this.prefix, event.streamId), JSON.stringify(message), {
        msgID: String(event.position),
        expect: { streamName: this.streamName },
        timeout: this.requestTimeoutMs,
      });
    }
  }

  private async commit(events: readonly RecordedEvent[], reached: number): Promise<void> {
    if (events.length > 0) await this.beforeCheckpoint?.(events);
    const now = this.clock.now();
    await this.db
      .insertInto('projection_checkpoints')
      .values({ name: this.checkpointName, position: reached, updated_at: now })
      .onConflict((conflict) =>
        conflict.column('name').doUpdateSet({ position: reached, updated_at: now }).where('projection_checkpoints.position', '<', reached),
      )
      .execute();
    if (events.length > 0) this.logger.debug({ stream: this.streamName, reached, count: events.length }, 'outbox relay advanced');
  }

  private jetstreamClient(): Promise<JetStreamClient> {
    this.client ??= (async () => {
      const connection = await this.getConnection();
      await this.ensureStream(connection);
      return jetstream(connection, { timeout: this.requestTimeoutMs });
    })();
    this.client.catch(() => {
      this.client = undefined;
    });
    return this.client;
  }

  private getConnection(): Promise<NatsConnection> {
    const nats = this.nats;
    if (typeof nats !== 'string') return Promise.resolve(nats);
    this.connection ??= connectNats(nats, { name: `koivulahti-outbox-${this.prefix}` });
    this.connection.catch(() => {
      this.connection = undefined;
    });
    return this.connection;
  }

  private async ensureStream(connection: NatsConnection): Promise<void> {
    const manager = await jetstreamManager(connection, { timeout: this.requestTimeoutMs });
    try {
      await manager.streams.info(this.streamName);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
      const config: Partial<StreamConfig> & { name: string } = {
        name: this.streamName,
        subjects: [`${this.prefix}.events.>`],
        retention: RetentionPolicy.Limits,
        storage: this.storage,
        duplicate_window: nanos(this.dedupeWindowMs),
      };
      try {
        await manager.streams.add(config);
      } catch (addError) {
        // Another relay may have created it meanwhile; then it is there now.
        await manager.streams.info(this.streamName).catch(() => {
          throw addError;
        });
      }
    }
  }
}
