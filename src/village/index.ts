/**
 * The Village ProductModule and the product's public surface. Wiring only: one VillageService per store (the
 * routes and background work of one process share it), its live hooks (rendered post fragments and the sim clock on
 * `live.villagelive`), the routes, migrations 0300+ and the background work (engine loop, render workers).
 */
import type { ProductModule, ProductServices } from '../web/product-module.js';
import { settingsFromConfig } from './domain/village-settings.js';
import { renderClockFragment, renderPostFragment } from './http/pages/components.js';
import { liveTopic } from './http/pages/frame.js';
import { villageRoutes } from './http/routes/index.js';
import { villageMigrations } from './read-model/migrations.js';
import {
  getCharacterCard as cardOf,
  getVillagerMemories as memoriesOf,
  type VillagerCard,
  type VillagerMemories,
  type VillagerOptions,
  type VillagerSummary,
  listVillagers as villagersOf,
} from './services/characters.js';
import type { VillageDeps } from './services/context.js';
import { renderQueue } from './services/render/render-job.js';
import { createVillageService, type VillageService } from './services/village-service.js';

export type { VillageConfig } from './config.js';
export type { Catalog, CatalogIssue, Channel, EventType, Language, Npc, Place } from './domain/catalog-schema.js';
export { buildCatalogIndex, type CatalogIndex } from './domain/context.js';
export { type EngineContext, evolve, runTick, tick } from './domain/engine.js';
export {
  type ContentEvent,
  contentStreamId,
  type DayStarted,
  type Happening,
  type PendingHappening,
  type RenderDecision,
  type RenderRequested,
  type RunStarted,
  type VillageEvent,
  type VillageEventType,
  villageEventTypes,
  worldStreamId,
} from './domain/events.js';
export { decideRenders, impactComponents, impactScore } from './domain/impact.js';
export { boundaryProblems, type GeneratedPost, generatedPostSchema, tones } from './domain/posts.js';
export { canonicalEvent, canonicalJson, hashSettings, runIdFor, serializeEvent } from './domain/runs.js';
export { formatLocal, parseInstant, toLocalTime } from './domain/sim-time.js';
export { createInitialState, type Memory, type NpcState, type Relationship, type VillageState } from './domain/state.js';
export {
  defaultVillageSettings,
  parseVillageSettings,
  settingsFromConfig,
  type VillageSettings,
  villageSettingsSchema,
} from './domain/village-settings.js';
export { villageMigrations } from './read-model/migrations.js';
export type { PostRow } from './read-model/queries.js';
export {
  CatalogError,
  defaultCatalogDirectory,
  hashCatalog,
  type LoadedCatalog,
  loadCatalog,
  validateCatalog,
} from './services/catalog-loader.js';
export {
  type VillagerCard,
  type VillagerMemories,
  type VillagerMemory,
  type VillagerOptions,
  type VillagerSummary,
  villagerOrigin,
} from './services/characters.js';
export type { VillageDeps } from './services/context.js';
export { type RenderJobPayload, renderQueue } from './services/render/render-job.js';
export type { JobOutcome } from './services/render-workers.js';
export { type ReplayReport, replayRun } from './services/replay.js';
export type { RunControl } from './services/runs.js';
export { formatReplayReport, replay, type SimulateOptions, type SimulateResult, simulate } from './services/sim-command.js';
export { SimulationTally } from './services/simulation-summary.js';
export { createVillageService, type VillageService } from './services/village-service.js';
export { loadSnapshot, type RunPersistence, VillageRun, type VillageSnapshot } from './services/world-run.js';

const services = new WeakMap<ProductServices['store'], VillageService>();

/** What a VillageService is made of, from the runtime's services (the engine settings from `[village.engine]`). */
export function villageDepsFor(productServices: ProductServices): VillageDeps {
  const { config, logger, clock, store, snapshots, messaging, llm, metrics } = productServices;
  return {
    config: config.village,
    logger: logger.child({ module: 'village' }),
    clock,
    store,
    snapshots,
    queue: messaging.queue,
    kv: messaging.kv,
    llm,
    metrics,
    settings: settingsFromConfig(config.village.engine),
  };
}

/** One VillageService per store (routes and background work of one process share it), wired to publish live updates. */
export function villageServiceFor(productServices: ProductServices): VillageService {
  const existing = services.get(productServices.store);
  if (existing) return existing;
  const service = createVillageService(villageDepsFor(productServices));
  const { messaging, metrics, store } = productServices;
  metrics?.watchQueue(renderQueue, messaging.queue);
  const bus = messaging.bus;
  service.hooks.onPost = async (post) => {
    await bus.publish(`live.${liveTopic}`, { event: `post-${post.channel}`, data: renderPostFragment(post, service.world) });
  };
  service.hooks.onTick = async (run, running) => {
    await bus.publish(`live.${liveTopic}`, { event: 'clock', data: renderClockFragment(run, running, service.world) });
  };
  services.set(store, service);
  return service;
}

export const villageModule: ProductModule = {
  name: 'village',
  migrations: villageMigrations,
  routes(productServices) {
    const { config, clock } = productServices;
    return villageRoutes({
      service: villageServiceFor(productServices),
      access: config.server,
      readRatePerMinute: config.village.read_rate_per_minute,
      clock,
    });
  },
  background: {
    /** The world's engine loop, under its lease: one engine process ticks, the others stand by. */
    engine: (productServices, signal) => villageServiceFor(productServices).engine.run(signal),
    /** Render workers: any number of processes. */
    worker: (productServices, signal) => villageServiceFor(productServices).renders.run(signal),
  },
};

/** A VillageService, or the runtime's services (the process's shared VillageService is used). */
export type VillageReader = ProductServices | VillageService;

const reader = (source: VillageReader): VillageService => ('villagers' in source ? source : villageServiceFor(source));

/** Every village NPC: id, name, age and occupation (in `language`, default English). */
export function listVillagers(source: VillageReader, options: VillagerOptions = {}): VillagerSummary[] {
  return villagersOf(reader(source), options);
}

/** A village NPC as a Character Card V3 (persona from the catalog); NotFoundError for an unknown id. */
export function getCharacterCard(source: VillageReader, npcId: string, options: VillagerOptions = {}): VillagerCard {
  return cardOf(reader(source), npcId, options);
}

/** The NPC's memories in the current run, newest first, as text with importance and sim time. */
export function getVillagerMemories(
  source: VillageReader,
  npcId: string,
  options: VillagerOptions & { limit?: number } = {},
): Promise<VillagerMemories> {
  return memoriesOf(reader(source), npcId, options);
}
