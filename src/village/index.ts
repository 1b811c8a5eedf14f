/** The Village product's public surface: catalog loading, the engine, runs, replay and the CLI commands' logic. */
import type { ProductServices } from '../web/product-module.js';
import {
  getCharacterCard as cardOf,
  getVillagerMemories as memoriesOf,
  type VillagerCard,
  type VillagerMemories,
  type VillagerOptions,
  type VillagerSummary,
  listVillagers as villagersOf,
} from './character.js';
import { villageServiceFor } from './http/module.js';
import { VillageService } from './village-service.js';

export { CatalogError, defaultCatalogDirectory, hashCatalog, type LoadedCatalog, loadCatalog, validateCatalog } from './catalog-loader.js';
export {
  type VillagerCard,
  type VillagerMemories,
  type VillagerMemory,
  type VillagerOptions,
  type VillagerSummary,
  villagerOrigin,
} from './character.js';
export type { Catalog, CatalogIssue, Channel, EventType, Language, Npc, Place } from './domain/catalog-schema.js';
export { buildCatalogIndex, type CatalogIndex } from './domain/context.js';
export { type EngineContext, evolve, runTick, tick } from './domain/engine.js';
export type {
  DayStarted,
  Happening,
  PendingHappening,
  RenderDecision,
  RenderRequested,
  RunStarted,
  VillageEvent,
  VillageEventType,
} from './domain/events.js';
export { decideRenders, impactComponents, impactScore } from './domain/impact.js';
export { boundaryProblems, type GeneratedPost, generatedPostSchema, tones } from './domain/posts.js';
export { formatLocal, parseInstant, toLocalTime } from './domain/sim-time.js';
export { createInitialState, type Memory, type NpcState, type Relationship, type VillageState } from './domain/state.js';
export {
  defaultVillageSettings,
  parseVillageSettings,
  settingsFromConfig,
  type VillageSettings,
  villageSettingsSchema,
} from './domain/village-settings.js';
export { villageModule, villageServiceFor } from './http/module.js';
export { villageMigrations } from './read-model/migrations.js';
export { contentStreamId } from './read-model/projection.js';
export type { PostRow } from './read-model/queries.js';
export { type RenderJobPayload, renderQueue } from './render/render-job.js';
export { formatReplayReport, replay, type SimulateOptions, type SimulateResult, simulate } from './sim-command.js';
export { SimulationTally } from './simulation-summary.js';
export { type RunControl, VillageService, type VillageServiceDeps } from './village-service.js';
export {
  canonicalEvent,
  canonicalJson,
  hashSettings,
  loadSnapshot,
  type ReplayReport,
  type RunPersistence,
  replayRun,
  runIdFor,
  serializeEvent,
  VillageRun,
  type VillageSnapshot,
  worldStreamId,
} from './world-runner.js';

/** A VillageService, or the runtime's services (the process's shared VillageService is used). */
export type VillageReader = ProductServices | VillageService;

const reader = (source: VillageReader): VillageService => (source instanceof VillageService ? source : villageServiceFor(source));

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
