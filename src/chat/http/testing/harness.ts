/**
 * Test and bench harness: the real runtime pieces (store, messaging, gateway, web app with the SSE hub) on an
 * in-memory SQLite database, with the chat product mounted. Not part of the build's public surface.
 */
import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../../core/clock.js';
import { parseConfig } from '../../../core/config.js';
import { silentLogger } from '../../../core/logger.js';
import { createLlmGateway, llmMigrations } from '../../../llm/index.js';
import { createMessaging, messagingMigrations } from '../../../messaging/index.js';
import {
  EventStore,
  openDatabase,
  runMigrations,
  SnapshotStore,
  type StoreDatabase,
  type StoreMigration,
  storeMigrations,
} from '../../../store/index.js';
import { createApp } from '../../../web/app.js';
import type { ProductServices } from '../../../web/product-module.js';
import { type ChatApp, chatApp, chatModule } from '../../index.js';

export interface ChatHarness {
  app: FastifyInstance;
  url: string;
  services: ProductServices;
  /** The chat's use cases, as the routes and background work of this runtime use them. */
  chat: ChatApp;
  /** Starts the chat's background work (engine and worker roles); stopped by close(). */
  startWorker(): void;
  close(): Promise<void>;
}

/**
 * `configText` is config.toml text, e.g. an `[llm]` section pointing at the loopback OpenAI test server; `open` gives
 * another database (a `resolveTestDialects()` dialect) instead of in-memory SQLite; `extraMigrations` (say, the
 * village's, for villager chats) are applied with the others in name order.
 */
export async function startChatHarness(
  configText = '',
  open?: () => Promise<StoreDatabase>,
  extraMigrations: readonly StoreMigration[] = [],
): Promise<ChatHarness> {
  const config = parseConfig({ fileText: configText });
  const database = open ? await open() : await openDatabase({ sqlitePath: ':memory:' });
  const migrations = [...storeMigrations, ...messagingMigrations, ...llmMigrations, ...extraMigrations, ...chatModule.migrations];
  await runMigrations(
    database,
    migrations.sort((left, right) => left.name.localeCompare(right.name)),
  );
  const store = new EventStore(database);
  const messaging = await createMessaging({ database, logger: silentLogger, queue: { backoffBaseMs: 10, backoffMaxMs: 50 } });
  const llm = createLlmGateway({ config, database, logger: silentLogger, clock: systemClock });
  const services: ProductServices = {
    config,
    logger: silentLogger,
    clock: systemClock,
    database,
    store,
    snapshots: new SnapshotStore(database),
    messaging,
    llm,
  };
  const app = await createApp(
    { config, logger: silentLogger, version: 'test', store, bus: messaging.bus, storeKind: database.dialect, busKind: 'memory' },
    { routes: [chatModule.routes(services)], productsWithPages: ['chat'] },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const background = new AbortController();
  let worker: Promise<void> | undefined;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    services,
    chat: chatApp(services),
    startWorker() {
      worker ??= Promise.all([
        chatModule.background?.engine?.(services, background.signal),
        chatModule.background?.worker?.(services, background.signal),
      ]).then(() => undefined);
    },
    async close() {
      background.abort();
      await app.close();
      await worker;
      await store.close();
      await llm.close();
      await messaging.close();
      await database.destroy();
    },
  };
}

/** The bot most chat tests play against: Aino, a barista who knows the user as a regular, at the cafe. */
export function authorBarista(app: ChatApp): Promise<string> {
  return app.authoring.authorBot({
    name: 'Aino',
    persona: 'a barista',
    voice_samples: [],
    traits: [],
    backstory: '',
    initial_relationship: 'regular',
    kickoff_prose: 'At the cafe.',
  });
}
