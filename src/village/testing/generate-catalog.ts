/**
 * A large synthetic village for benchmarks and scale tests: the default catalog's world, event types and channels
 * with N generated NPCs (Finnish names, routines over the public places, homes shared by three), relationship edges
 * and a goal each. Deterministic for a given size and seed.
 */
import { Rng } from '../../core/rng.js';
import type { Catalog, Goal, Npc, Place, RelationshipSeed } from '../domain/catalog-schema.js';

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
];
const lastNames = [
  'Virtanen',
  'Korhonen',
  'Mäkinen',
  'Nieminen',
  'Mäkelä',
  'Hämäläinen',
  'Laine',
  'Heikkinen',
  'Koskinen',
  'Järvinen',
  'Lehtonen',
  'Saarinen',
];
const traitPool = [
  'sociable',
  'curious',
  'talkative',
  'reserved',
  'stubborn',
  'caring',
  'blunt',
  'gossipy',
  'energetic',
  'calm',
  'principled',
  'shrewd',
  'impulsive',
  'shy',
];
const valuePool = ['community', 'tradition', 'fairness', 'family', 'hard_work', 'independence'];
const publicPlaces = [
  'place_kahvio',
  'place_kauppa',
  'place_tori',
  'place_satama',
  'place_kirjasto',
  'place_kirkko',
  'place_urheilukentta',
  'place_sauna',
];
const workPlaces = ['place_kauppa', 'place_koulu', 'place_kunnantalo', 'place_satama', 'place_kirjasto', 'place_tori', 'place_kahvio'];

function generateHomes(npcCount: number): Place[] {
  const homes: Place[] = [];
  for (let home = 0; home < Math.ceil(npcCount / 3); home++)
    homes.push({
      id: `place_home_g${home + 1}`,
      name: `Koti ${home + 1}`,
      kind: 'home',
      publicness: 0.1,
      description: { fi: 'Tavallinen omakotitalo.', en: 'An ordinary house.' },
    });
  return homes;
}

/** The NPC at `position`: three to a home, a work place, traits and a routine between home, work and public places. */
function generateNpc(position: number, home: string, rng: Rng): Npc {
  const work = rng.pick(workPlaces);
  const traits = [...new Set([rng.pick(traitPool), rng.pick(traitPool), rng.pick(traitPool)])];
  const reporter = position === 0;
  const official = position % 97 === 1;
  return {
    id: `npc_g${String(position + 1).padStart(5, '0')}`,
    name: `${rng.pick(firstNames)} ${rng.pick(lastNames)}`,
    age: rng.int(16, 85),
    occupation: reporter ? { fi: 'toimittaja', en: 'reporter' } : { fi: 'kyläläinen', en: 'villager' },
    roles: reporter ? ['reporter'] : official ? ['official'] : [],
    home,
    work,
    traits,
    values: [rng.pick(valuePool)],
    speechStyle: { fi: 'Puhuu rauhallisesti.', en: 'Speaks calmly.' },
    status: Math.round(rng.float() * 100) / 100,
    mood: 0.1,
    routine: {
      weekday: {
        '0': home,
        '7': [rng.pick(publicPlaces), work],
        '8': work,
        '12': rng.pick(publicPlaces),
        '13': work,
        '16': [rng.pick(publicPlaces), rng.pick(publicPlaces)],
        '18': [home, rng.pick(publicPlaces)],
        '20': home,
      },
      weekend: {
        '0': home,
        '9': [rng.pick(publicPlaces), home],
        '12': rng.pick(publicPlaces),
        '15': [rng.pick(publicPlaces), home],
        '18': [home, 'place_sauna'],
        '20': home,
      },
    },
  };
}

/** Up to four directed edges per NPC to others drawn at random. */
function generateRelationships(npcs: readonly Npc[], rng: Rng): RelationshipSeed[] {
  const relationships: RelationshipSeed[] = [];
  const seen = new Set<string>();
  for (const [position, npc] of npcs.entries())
    for (let edge = 0; edge < 4; edge++) {
      const other = npcs[(position + rng.int(1, npcs.length - 1)) % npcs.length] as Npc;
      const key = `${npc.id}|${other.id}`;
      if (other.id === npc.id || seen.has(key)) continue;
      seen.add(key);
      relationships.push({
        from: npc.id,
        to: other.id,
        affinity: Math.round((rng.float() * 1.6 - 0.6) * 100) / 100,
        trust: Math.round(rng.float() * 100) / 100,
        respect: Math.round(rng.float() * 100) / 100,
        tags: [rng.pick(['neighbour', 'friend', 'colleague', 'rival', 'family'])],
      });
    }
  return relationships;
}

export function generateCatalog(base: Catalog, npcCount: number, seed = 1): Catalog {
  const rng = Rng.fromSeed(seed);
  const referenced = new Set(base.eventTypes.flatMap((type) => type.places));
  const basePlaces = base.places.filter((place) => place.kind !== 'home' || referenced.has(place.id));
  const homes = generateHomes(npcCount);
  const npcs: Npc[] = [];
  for (let position = 0; position < npcCount; position++)
    npcs.push(generateNpc(position, homes[Math.floor(position / 3)]?.id as string, rng));
  const relationships = generateRelationships(npcs, rng);
  const goalTemplates = base.goals.filter((goal) => goal.with === undefined);
  const goals: Goal[] = npcs.map((npc, position) => {
    const template = goalTemplates[position % goalTemplates.length] as Goal;
    return { ...template, id: `goal_g${position + 1}`, npc: npc.id };
  });
  return {
    world: base.world,
    places: [...basePlaces, ...homes],
    npcs,
    relationships,
    goals,
    eventTypes: base.eventTypes,
    kickoff: { description: base.kickoff.description, events: [] },
    channels: {
      ...base.channels,
      newspaper: { name: base.channels.newspaper.name, reporter: 'npc_g00001', motto: base.channels.newspaper.motto },
    },
  };
}
