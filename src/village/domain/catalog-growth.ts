/**
 * Grows a catalog to N villagers from what it already has, so anyone can run a town of 10,000 from the 18 of
 * Koivulahti. The catalog's own villagers stay as they are (first, unchanged); the rest come in cohorts, one copy of
 * every original villager per cohort (the last cohort may be partial): the same occupation, roles, traits, routine and
 * work place, a copy of their home (so households stay households), the relationships between them repeated inside
 * the cohort, their goals, and a neighbour edge to the same archetype in the previous cohort so cohorts know each
 * other. No randomness: the same catalog and N always give the same catalog. N at or below the catalog's own count
 * returns the catalog itself.
 */
import type { Catalog, Goal, Npc, Place, RelationshipSeed } from './catalog-schema.js';

const firstNames = [
  'Aino',
  'Eino',
  'Helmi',
  'Väinö',
  'Kerttu',
  'Toivo',
  'Lempi',
  'Onni',
  'Siiri',
  'Urho',
  'Iida',
  'Veikko',
  'Elli',
  'Arvo',
  'Hilja',
  'Tauno',
  'Saara',
  'Lauri',
  'Venla',
  'Kalle',
  'Ilona',
  'Matti',
  'Oona',
  'Heikki',
];

/** Largest town `--npcs` accepts. */
export const maxVillagers = 100_000;

function cohortId(id: string, cohort: number): string {
  return `${id}_c${cohort}`;
}

function renamed(archetype: Npc, cohort: number, position: number): string {
  const lastName = archetype.name.includes(' ') ? archetype.name.slice(archetype.name.lastIndexOf(' ') + 1) : archetype.name;
  return `${firstNames[(cohort * 7 + position * 5) % firstNames.length]} ${lastName}`;
}

function copyRoutine(routine: Npc['routine']['weekday'], homes: ReadonlyMap<string, string>): Npc['routine']['weekday'] {
  const swap = (place: string) => homes.get(place) ?? place;
  return Object.fromEntries(
    Object.entries(routine).map(([hour, places]) => [hour, Array.isArray(places) ? places.map(swap) : swap(places)]),
  );
}

interface Cohort {
  npcs: Npc[];
  places: Place[];
  relationships: RelationshipSeed[];
  goals: Goal[];
}

/** Cohort `cohort` (2, 3, ...) of the first `size` archetypes. */
function growCohort(base: Catalog, cohort: number, size: number, homeKinds: ReadonlyMap<string, Place>): Cohort {
  const archetypes = base.npcs.slice(0, size);
  const members = new Set(archetypes.map((npc) => npc.id));
  const homes = new Map<string, string>();
  const places: Place[] = [];
  for (const npc of archetypes) {
    if (homes.has(npc.home)) continue;
    const original = homeKinds.get(npc.home);
    homes.set(npc.home, cohortId(npc.home, cohort));
    if (original) places.push({ ...original, id: cohortId(npc.home, cohort), name: `${original.name} ${cohort}` });
  }
  const npcs = archetypes.map((archetype, position) => {
    const { work, ...rest } = archetype;
    const copiedWork = work === undefined ? undefined : (homes.get(work) ?? work);
    return {
      ...rest,
      id: cohortId(archetype.id, cohort),
      name: renamed(archetype, cohort, position),
      home: homes.get(archetype.home) ?? archetype.home,
      ...(copiedWork === undefined ? {} : { work: copiedWork }),
      routine: { weekday: copyRoutine(archetype.routine.weekday, homes), weekend: copyRoutine(archetype.routine.weekend, homes) },
    };
  });
  const relationships: RelationshipSeed[] = base.relationships
    .filter((edge) => members.has(edge.from) && members.has(edge.to))
    .map((edge) => ({ ...edge, from: cohortId(edge.from, cohort), to: cohortId(edge.to, cohort), tags: [...edge.tags] }));
  for (const archetype of archetypes) {
    const previous = cohort === 2 ? archetype.id : cohortId(archetype.id, cohort - 1);
    relationships.push({
      from: cohortId(archetype.id, cohort),
      to: previous,
      affinity: 0.2,
      trust: 0.4,
      respect: 0.4,
      tags: ['neighbour'],
    });
  }
  const goals = base.goals
    .filter((goal) => members.has(goal.npc) && (goal.with === undefined || members.has(goal.with)))
    .map((goal) => ({
      ...goal,
      id: cohortId(goal.id, cohort),
      npc: cohortId(goal.npc, cohort),
      ...(goal.with === undefined ? {} : { with: cohortId(goal.with, cohort) }),
    }));
  return { npcs, places, relationships, goals };
}

export function growCatalog(base: Catalog, villagers: number): Catalog {
  if (!Number.isInteger(villagers) || villagers < 0 || villagers > maxVillagers)
    throw new RangeError(`the number of villagers must be an integer from 0 to ${maxVillagers}, got ${villagers}`);
  const own = base.npcs.length;
  if (villagers <= own || own === 0) return base;
  const places = new Map(base.places.map((place) => [place.id, place]));
  const grown = { npcs: [...base.npcs], places: [...base.places], relationships: [...base.relationships], goals: [...base.goals] };
  for (let cohort = 2; grown.npcs.length < villagers; cohort++) {
    const part = growCohort(base, cohort, Math.min(own, villagers - grown.npcs.length), places);
    grown.npcs.push(...part.npcs);
    grown.places.push(...part.places);
    grown.relationships.push(...part.relationships);
    grown.goals.push(...part.goals);
  }
  return { ...base, ...grown };
}
