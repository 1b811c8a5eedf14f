/**
 * The messaging module: job queue, event bus and key-value store behind the ports in `ports.ts`.
 * `createMessaging` picks the adapters: NATS JetStream when a NATS URL is configured, otherwise the embedded ones
 * (SQL tables on the store's database and an in-process bus).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { type Clock, systemClock } from '../core/clock.js';
import { type Logger, silentLogger } from '../core/logger.js';
import type { StoreDatabase } from '../store/database.js';
import type { StoreMigration } from '../store/migrations.js';
import { MemoryEventBus } from './memory/memory-event-bus.js';
import { checkNats, connectNats } from './nats/nats-connection.js';
import { NatsEventBus } from './nats/nats-event-bus.js';
import { NatsJobQueue } from './nats/nats-job-queue.js';
import { NatsKvStore } from './nats/nats-kv-store.js';
import type { Messaging } from './ports.js';
import type { JobQueueSettings } from './queue-settings.js';
import { jobQueueMigrations, SqlJobQueue } from './sql/sql-job-queue.js';
import { kvStoreMigrations, SqlKvStore } from './sql/sql-kv-store.js';

export { MemoryEventBus } from './memory/memory-event-bus.js';
export { topicMatches } from './names.js';
export { checkNats, connectionState, connectNats, MessagingUnavailableError } from './nats/nats-connection.js';
export { NatsEventBus } from './nats/nats-event-bus.js';
export { NatsJobQueue } from './nats/nats-job-queue.js';
export { NatsKvStore } from './nats/nats-kv-store.js';
export { type OutboxMessage, OutboxRelay, type OutboxRelayOptions, outboxStreamName, outboxSubject } from './nats/outbox-relay.js';
export type * from './ports.js';
export { defaultJobQueueSettings, type JobQueueSettings, retryDelay } from './queue-settings.js';
export { SqlJobQueue } from './sql/sql-job-queue.js';
export { SqlKvStore } from './sql/sql-kv-store.js';

/** Tables of the embedded adapters; run them with the store's migrations even when NATS is used (harmless there). */
export const messagingMigrations: StoreMigration[] = [...jobQueueMigrations, ...kvStoreMigrations];

export interface MessagingOptions {
  /** The store's database; the embedded queue and kv live in it. Its migrations must include `messagingMigrations`. */
  database: StoreDatabase;
  clock?: Clock;
  logger?: Logger;
  /** Defaults for the job queue (the config's `[queue]` section). */
  queue?: Partial<JobQueueSettings>;
  /** When set, all three ports run on NATS JetStream (nats:// or tls://). */
  natsUrl?: string | undefined;
  /** Names streams, subjects and the kv bucket. Default `koivulahti`. */
  natsPrefix?: string;
}

export async function createMessaging(options: MessagingOptions): Promise<Messaging> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const queueOptions = { ...options.queue, clock, logger: logger.child({ module: 'job-queue' }) };
  if (options.natsUrl) {
    const prefix = options.natsPrefix ?? 'koivulahti';
    const connection = await connectNats(options.natsUrl, { logger: logger.child({ module: 'nats' }) });
    const queue = new NatsJobQueue(connection, { ...queueOptions, prefix });
    const bus = new NatsEventBus(connection, { prefix, logger: logger.child({ module: 'event-bus' }) });
    const kv = new NatsKvStore(connection, { prefix, clock });
    return {
      kind: 'nats',
      queue,
      bus,
      kv,
      check: () => checkNats(connection),
      close: () => closeAll([queue, bus, kv], connection),
    };
  }
  const queue = new SqlJobQueue(options.database, queueOptions);
  const bus = new MemoryEventBus({ logger: logger.child({ module: 'event-bus' }) });
  const kv = new SqlKvStore(options.database, { clock });
  // Embedded, the queue and kv live in the store's database, which has its own readiness check.
  return { kind: 'memory', queue, bus, kv, check: async () => undefined, close: () => closeAll([queue, bus, kv]) };
}

/** Closes the adapters, then the connection they share. The database stays open: it belongs to the store. */
async function closeAll(parts: { close(): Promise<void> }[], connection?: NatsConnection): Promise<void> {
  await Promise.all(parts.map((part) => part.close()));
  if (connection && !connection.isClosed()) await connection.drain();
}

export { type JobResult, type JobWorkerOptions, runJobWorker, settleJob } from './job-worker.js';
export { KvLease, type KvLeaseOptions, type LeaseHolder, type RunUnderLeaseOptions, runUnderLease } from './kv-lease.js';
