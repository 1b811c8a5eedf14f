/**
 * The contract between the composition root and a product (village, chat, tips). A product's `index.ts` exports one
 * `ProductModule`; `src/server.ts` applies its migrations, registers its routes (api role) and starts its background
 * work (engine and worker roles).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { LlmGateway } from '../llm/index.js';
import type { Messaging } from '../messaging/ports.js';
import type { EventStore, EventUpcaster, SnapshotStore, StoreDatabase, StoreMigration } from '../store/index.js';

export type ProductName = 'village' | 'chat' | 'tips';

/**
 * What a process does. `api`: HTTP pages, API and live streams. `engine`: singleton-style loops (world engines under a
 * lease, schedulers, the outbox relay). `worker`: job consumers, any number of them. `koivulahti start` runs all three.
 */
export type ProcessRole = 'api' | 'engine' | 'worker';
export const processRoles: readonly ProcessRole[] = ['api', 'engine', 'worker'];

export type BackgroundWork = (services: ProductServices, signal: AbortSignal) => Promise<void>;

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
  /** The process's metrics (absent in some tests). */
  metrics?: Metrics | undefined;
}

export interface ProductModule {
  name: ProductName;
  /** Forward-only migrations in the product's number range (village 0300, chat 0400, tips 0500). */
  migrations: readonly StoreMigration[];
  /** Read stored events of older shapes or names as today's (the event store applies them on every read). */
  upcasters?: readonly EventUpcaster[];
  /** Stream categories anyone may follow on `/stream` without logging in (the village's public world). Default none. */
  publicStreamCategories?: readonly string[];
  /**
   * Slow initialisation of the api role (loading a tokenizer, subscribing to control topics). Runs after the server
   * listens, so a slow start never trips a timer; `/ready` reports `starting` and the product's requests wait until it
   * has finished. Must be safe to call more than once.
   */
  start?(services: ProductServices): Promise<void>;
  /** Pages and API routes; the product owns `/<name>` and everything under it, and its `/api/<name>/...` routes. */
  routes(services: ProductServices): FastifyPluginAsync;
  /**
   * Background work by role; each runs until the signal aborts, then finishes or releases its work (jobs, leases).
   * Engine work must be safe with several engine processes running (take a lease); worker work with any number.
   */
  background?: Partial<Record<Exclude<ProcessRole, 'api'>, BackgroundWork>>;
}
