/**
 * The village's use cases for one process and store: run control, the live engine loop, the render workers,
 * moderation and villager reads, sharing one world (catalog, settings) and one read model. The read model's inline
 * projection is registered on the store once.
 */
import type { EventStore } from '../../store/index.js';
import { defaultVillageSettings } from '../domain/village-settings.js';
import { villageProjection } from '../read-model/projection.js';
import { VillageQueries } from '../read-model/queries.js';
import { type VillageDeps, type VillageHooks, VillageWorld } from './context.js';
import { EngineLoop } from './engine-loop.js';
import { ModerationService } from './moderation.js';
import { RenderWorkers } from './render-workers.js';
import { RunService } from './runs.js';
import { townCatalog } from './sim-command.js';
import { VillagerService } from './villagers.js';

export interface VillageService {
  readonly world: VillageWorld;
  readonly queries: VillageQueries;
  /** Set by the wiring: what to do when a post is published or the engine advanced (live views). */
  readonly hooks: VillageHooks;
  readonly runs: RunService;
  readonly engine: EngineLoop;
  readonly renders: RenderWorkers;
  readonly moderation: ModerationService;
  readonly villagers: VillagerService;
}

const projected = new WeakSet<EventStore>();

export function createVillageService(deps: VillageDeps): VillageService {
  const { catalog, settings, ...ports } = deps;
  const world = new VillageWorld(catalog ?? townCatalog(undefined, deps.config.npcs || undefined), settings ?? defaultVillageSettings);
  const queries = new VillageQueries(deps.store.database);
  const hooks: VillageHooks = {};
  if (!projected.has(deps.store)) {
    deps.store.addInlineProjection(villageProjection);
    projected.add(deps.store);
  }
  const context = { ...ports, world, queries, hooks };
  const runs = new RunService(context);
  return {
    world,
    queries,
    hooks,
    runs,
    engine: new EngineLoop(context, runs),
    renders: new RenderWorkers(context),
    moderation: new ModerationService(context),
    villagers: new VillagerService(context, runs),
  };
}
