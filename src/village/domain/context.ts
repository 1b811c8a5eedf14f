/** Read-only indexes over a catalog that the engine needs on every tick, built once per run. */
import type { Catalog, EventType, Goal, Npc, Place } from './catalog-schema.js';
import { createSimClock, type SimClock } from './sim-time.js';
import type { VillageSettings } from './village-settings.js';

export interface RoutineBlock {
  key: string;
  places: string[];
}

export interface CatalogIndex {
  catalog: Catalog;
  settings: VillageSettings;
  clock: SimClock;
  ticksPerHour: number;
  /** Longest variety window (settings or a type's cooldown): bookkeeping older than this is forgotten. */
  varietyWindowHours: number;
  npcs: Npc[];
  npcIndex: Map<string, number>;
  places: Map<string, Place>;
  types: Map<string, EventType>;
  /** Types an NPC may start on their own at each place (weight > 0). */
  spontaneousTypesByPlace: Map<string, EventType[]>;
  goalsByNpc: Map<string, Goal[]>;
  /** Event type -> its trait multipliers as entries (read on every choice). */
  traitFactors: Map<string, [string, number][]>;
  /** [npc index][0 weekday | 1 weekend][hour] -> block. */
  routines: RoutineBlock[][][];
  npcTraits: Set<string>[];
  npcRoles: Set<string>[];
}

export function placeAllowed(type: EventType, place: Place): boolean {
  return type.places.includes(place.id) || type.places.includes(`@${place.kind}`);
}

export function buildCatalogIndex(catalog: Catalog, settings: VillageSettings): CatalogIndex {
  const places = new Map(catalog.places.map((place) => [place.id, place]));
  const types = new Map(catalog.eventTypes.map((type) => [type.id, type]));
  const spontaneousTypesByPlace = new Map<string, EventType[]>();
  for (const place of catalog.places)
    spontaneousTypesByPlace.set(
      place.id,
      catalog.eventTypes.filter((type) => type.weight > 0 && placeAllowed(type, place)),
    );
  const goalsByNpc = new Map<string, Goal[]>();
  for (const goal of catalog.goals) goalsByNpc.set(goal.npc, [...(goalsByNpc.get(goal.npc) ?? []), goal]);
  const routines = catalog.npcs.map((npc) =>
    (['weekday', 'weekend'] as const).map((dayKind) => {
      const routine = npc.routine[dayKind];
      const blocks: RoutineBlock[] = [];
      let current: RoutineBlock = { key: `${dayKind}:0`, places: [npc.home] };
      for (let hour = 0; hour < 24; hour++) {
        const where = routine[String(hour)];
        if (where !== undefined) current = { key: `${dayKind}:${hour}`, places: typeof where === 'string' ? [where] : where };
        blocks.push(current);
      }
      return blocks;
    }),
  );
  return {
    catalog,
    settings,
    clock: createSimClock(catalog.world.start, catalog.world.tickMinutes),
    ticksPerHour: 60 / catalog.world.tickMinutes,
    varietyWindowHours: Math.max(settings.varietyHours, ...catalog.eventTypes.map((type) => type.cooldownHours ?? 0)),
    npcs: catalog.npcs,
    npcIndex: new Map(catalog.npcs.map((npc, index) => [npc.id, index])),
    places,
    types,
    spontaneousTypesByPlace,
    goalsByNpc,
    traitFactors: new Map(catalog.eventTypes.map((type) => [type.id, Object.entries(type.traitAffinity)])),
    routines,
    npcTraits: catalog.npcs.map((npc) => new Set(npc.traits)),
    npcRoles: catalog.npcs.map((npc) => new Set(npc.roles)),
  };
}
