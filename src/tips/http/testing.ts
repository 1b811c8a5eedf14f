/** Test helpers: the tips routes on a fresh database of a given dialect, with a manual clock. Not part of the build. */
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../core/clock.js';
import { parseConfig } from '../../core/config.js';
import { silentLogger } from '../../core/logger.js';
import type { LlmGateway } from '../../llm/index.js';
import { MemoryEventBus } from '../../messaging/memory/memory-event-bus.js';
import { EventStore, runMigrations, type StoreDatabase, storeMigrations } from '../../store/index.js';
import { createApp } from '../../web/app.js';
import { tipsUpcasters } from '../domain/events.js';
import { decisionLogProjection } from '../read-model/decision-log.js';
import { tipsMigrations } from '../read-model/migrations.js';
import { createOidcAccounts } from '../services/accounts/oidc.js';
import { TipsService } from '../services/index.js';
import { tipsRoutes } from './routes/index.js';

export interface TipsHarness {
  app: FastifyInstance;
  service: TipsService;
  database: StoreDatabase;
  store: EventStore;
  clock: ManualClock;
  close(): Promise<void>;
}

/** 2026-11-23 10:00 in Helsinki (a Monday). */
export const harnessStart = Date.parse('2026-11-23T08:00:00Z');

export async function createTipsHarness(
  database: StoreDatabase,
  options: { overrides?: Record<string, string>; llm?: LlmGateway; fetch?: typeof fetch } = {},
): Promise<TipsHarness> {
  await runMigrations(database, [...storeMigrations, ...tipsMigrations]);
  const clock = new ManualClock(harnessStart);
  const store = new EventStore(database, { clock, inlineProjections: [decisionLogProjection], upcasters: tipsUpcasters });
  const config = parseConfig({
    overrides: {
      'tips.timezone': 'Europe/Helsinki',
      'tips.quiet_hours_start': '00:00',
      'tips.quiet_hours_end': '00:00',
      ...options.overrides,
    },
  });
  const service = new TipsService({
    config: config.tips,
    store,
    database,
    clock,
    llm: options.llm,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let routes = tipsRoutes(service);
  if (config.tips.accounts === 'oidc') {
    const accounts = createOidcAccounts(config.tips, clock);
    routes = tipsRoutes((request) => service.forUser(accounts.userOf(request)), { accounts: accounts.plugin });
  }
  const bus = new MemoryEventBus();
  const app = await createApp(
    { config, logger: silentLogger, version: 'test', store, bus, storeKind: database.dialect, busKind: 'memory' },
    { routes: [routes], productsWithPages: ['tips'] },
  );
  return {
    app,
    service,
    database,
    store,
    clock,
    async close() {
      await app.close();
      await bus.close();
      await store.close();
      await database.destroy();
    },
  };
}
