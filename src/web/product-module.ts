/**
 * The contract between the composition root and a product (village, chat, tips). A product's `index.ts` exports one
 * `ProductModule`; `src/server.ts` applies its migrations, registers its routes and starts its background work.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { LlmGateway } from '../llm/index.js';
import type { Messaging } from '../messaging/ports.js';
import type { EventStore, SnapshotStore, StoreDatabase, StoreMigration } from '../store/index.js';

export type ProductName = 'village' | 'chat' | 'tips';

/** What a product gets from the runtime: the shared store, messaging, LLM gateway and clock. */
export interface ProductServices {
  config: Config;
  logger: Logger;
  clock: Clock;
  database: StoreDatabase;
  store: EventStore;
  snapshots: SnapshotStore;
  messaging: Messaging;
  llm: LlmGateway;
}

export interface ProductModule {
  name: ProductName;
  /** Forward-only migrations in the product's number range (village 0300, chat 0400, tips 0500). */
  migrations: readonly StoreMigration[];
  /** Pages and API routes; the product owns `/<name>` and everything under it, and its `/api/<name>/...` routes. */
  routes(services: ProductServices): FastifyPluginAsync;
  /** Background work (engine loop, job workers); runs until the signal aborts, then finishes or releases its work. */
  start?(services: ProductServices, signal: AbortSignal): Promise<void>;
}
