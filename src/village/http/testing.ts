/**
 * Test fixture for the village product: an in-memory SQLite store with every migration the village needs, the
 * embedded queue / kv / bus on a manual clock, an LLM gateway (offline, or the providers given) and the Fastify app
 * with the village's routes. Not part of the product; used by the village's tests.
 */
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { silentLogger } from '../../core/logger.js';
import { createLlmGateway, type LlmGatewayOptions, llmMigrations } from '../../llm/index.js';
import { createMessaging, type Messaging, messagingMigrations } from '../../messaging/index.js';
import type { LeasedJob } from '../../messaging/ports.js';
import { EventStore, openDatabase, runMigrations, SnapshotStore, type StoreDatabase, storeMigrations } from '../../store/index.js';
import { createApp } from '../../web/app.js';
import type { ProductServices } from '../../web/product-module.js';
import { villageDepsFor, villageModule, villageServiceFor } from '../index.js';
import { villageMigrations } from '../read-model/migrations.js';
import type { VillageDeps } from '../services/context.js';
import { type RenderJobPayload, renderQueue } from '../services/render/render-job.js';
import type { JobOutcome } from '../services/render-workers.js';
import type { VillageService } from '../services/village-service.js';

export interface VillageFixtureOptions {
  /** Dotted config keys, e.g. `{ 'server.admin_token': 'secret' }`. */
  overrides?: Record<string, string>;
  providers?: LlmGatewayOptions['providers'];
  /** Opens the database (default: in-memory SQLite), e.g. a dialect from `resolveTestDialects()`. */
  open?: () => Promise<StoreDatabase>;
}

export interface VillageFixture {
  app: FastifyInstance;
  service: VillageService;
  /** What the service was made of: another "process" on the same store is `createVillageService({ ...deps })`. */
  deps: VillageDeps;
  services: ProductServices;
  database: StoreDatabase;
  messaging: Messaging;
  clock: ManualClock;
  /** Leases and handles render jobs until none is ready; returns the outcomes. */
  drain(): Promise<Array<JobOutcome | 'failed'>>;
  close(): Promise<void>;
}

export async function createVillageFixture(options: VillageFixtureOptions = {}): Promise<VillageFixture> {
  const database = options.open ? await options.open() : await openDatabase({ sqlitePath: ':memory:' });
  await runMigrations(database, [...storeMigrations, ...messagingMigrations, ...llmMigrations, ...villageMigrations]);
  const clock = new ManualClock(1_800_000_000_000);
  const config = parseConfig({
    overrides: { 'village.autostart': 'false', 'llm.max_retries': '0', 'queue.backoff_base_ms': '0', ...options.overrides },
  });
  const store = new EventStore(database, { clock });
  const snapshots = new SnapshotStore(database);
  const messaging = await createMessaging({
    database,
    clock,
    queue: {
      maxAttempts: config.queue.max_attempts,
      leaseMs: config.queue.lease_ms,
      backoffBaseMs: config.queue.backoff_base_ms,
      backoffMaxMs: config.queue.backoff_max_ms,
    },
  });
  const llm = createLlmGateway({
    config,
    database,
    logger: silentLogger,
    clock,
    ...(options.providers ? { providers: options.providers } : {}),
  });
  const services: ProductServices = { config, logger: silentLogger, clock, database, store, snapshots, messaging, llm };
  const service = villageServiceFor(services);
  const app = await createApp(
    { config, logger: silentLogger, version: '9.9.9-test', store, bus: messaging.bus, storeKind: 'sqlite', busKind: 'memory' },
    { routes: [villageModule.routes(services)], productsWithPages: ['village'] },
  );
  return {
    app,
    service,
    deps: villageDepsFor(services),
    services,
    database,
    messaging,
    clock,
    async drain() {
      const outcomes: Array<JobOutcome | 'failed'> = [];
      for (;;) {
        const jobs: LeasedJob<RenderJobPayload>[] = await messaging.queue.lease<RenderJobPayload>(renderQueue, { limit: 10 });
        if (jobs.length === 0) return outcomes;
        for (const job of jobs) outcomes.push(await service.renders.handle(job));
      }
    },
    async close() {
      await app.close();
      await llm.close();
      await messaging.close();
      await store.close();
      await database.destroy();
    },
  };
}
