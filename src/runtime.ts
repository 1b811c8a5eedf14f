/**
 * The composition root's lower half: opens the store and messaging a process needs, from configuration.
 * Every migration of every module is listed here, in the order they apply.
 */
import { systemClock } from './core/clock.js';
import type { Config } from './core/config.js';
import type { Logger } from './core/logger.js';
import { Metrics } from './core/metrics.js';
import { createLlmGateway, type LlmGateway, llmMigrations } from './llm/index.js';
import { createMessaging, type Messaging, messagingMigrations } from './messaging/index.js';
import { products } from './products.js';
import {
  EventStore,
  type MigrationReport,
  openDatabase,
  runMigrations,
  SnapshotStore,
  type StoreDatabase,
  type StoreMigration,
  storeMigrations,
} from './store/index.js';
import type { ProductServices } from './web/product-module.js';

export const allMigrations: readonly StoreMigration[] = [
  ...storeMigrations,
  ...messagingMigrations,
  ...llmMigrations,
  ...products.flatMap((product) => product.migrations),
];

export interface Runtime {
  config: Config;
  logger: Logger;
  database: StoreDatabase;
  store: EventStore;
  snapshots: SnapshotStore;
  messaging: Messaging;
  llm: LlmGateway;
  metrics: Metrics;
  /** The slice of the runtime handed to products. */
  services(): ProductServices;
  close(): Promise<void>;
}

export function openConfiguredDatabase(config: Config, logger?: Logger): Promise<StoreDatabase> {
  return openDatabase({
    url: config.database.url,
    sqlitePath: config.database.sqlite_path,
    poolSize: config.database.pool_size,
    // The pool replaces a failed connection on the next query; /ready reports the database until one succeeds.
    onConnectionError: (error) =>
      logger?.warn({ code: (error as { code?: string }).code, reason: error.message }, 'a PostgreSQL connection failed'),
  });
}

/** Applies pending migrations and closes the database again. */
export async function migrate(config: Config): Promise<MigrationReport> {
  const database = await openConfiguredDatabase(config);
  try {
    return await runMigrations(database, allMigrations);
  } finally {
    await database.destroy();
  }
}

export async function openRuntime(config: Config, logger: Logger, metrics = new Metrics()): Promise<Runtime> {
  const database = await openConfiguredDatabase(config, logger);
  try {
    const report = await runMigrations(database, allMigrations);
    if (report.applied.length > 0) logger.info({ applied: report.applied }, 'migrations applied');
    const store = new EventStore(database, { logger, metrics, upcasters: products.flatMap((product) => product.upcasters ?? []) });
    const messaging = await createMessaging({
      database,
      logger,
      natsUrl: config.nats.url,
      natsPrefix: config.nats.prefix,
      queue: {
        maxAttempts: config.queue.max_attempts,
        leaseMs: config.queue.lease_ms,
        backoffBaseMs: config.queue.backoff_base_ms,
        backoffMaxMs: config.queue.backoff_max_ms,
      },
    });
    let llm: LlmGateway;
    try {
      llm = createLlmGateway({
        config,
        database,
        logger,
        clock: systemClock,
        metrics,
        // The distributed cache is JetStream KV; embedded, the gateway keeps its llm_cache table.
        kv: messaging.kind === 'nats' ? messaging.kv : undefined,
      });
    } catch (error) {
      await messaging.close().catch(() => undefined);
      throw error;
    }
    const snapshots = new SnapshotStore(database);
    return {
      config,
      logger,
      database,
      store,
      snapshots,
      messaging,
      llm,
      metrics,
      services() {
        return { config, logger, clock: systemClock, database, store, snapshots, messaging, llm, metrics };
      },
      async close() {
        await store.close();
        await llm.close();
        await messaging.close();
        await database.destroy();
      },
    };
  } catch (error) {
    await database.destroy().catch(() => undefined);
    throw error;
  }
}
