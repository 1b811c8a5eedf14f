import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../services/catalog-loader.js';
import type { Precondition } from './catalog-schema.js';
import { buildCatalogIndex } from './context.js';
import { checkPrecondition, type PreconditionSubject } from './preconditions.js';
import { createInitialState, type VillageState } from './state.js';
import { defaultVillageSettings } from './village-settings.js';

const { catalog } = loadCatalog();
const index = buildCatalogIndex(catalog, defaultVillageSettings);

function givenVillage(change: (state: VillageState) => void = () => undefined): VillageState {
  const state = createInitialState(catalog, defaultVillageSettings);
  change(state);
  return state;
}

const npc = (state: VillageState, id: string) => state.npcs.find((entry) => entry.id === id) as VillageState['npcs'][number];

const subject = (overrides: Partial<PreconditionSubject> = {}): PreconditionSubject => ({
  actor: 'npc_sanni',
  target: 'npc_leena',
  place: 'place_kahvio',
  hour: 10,
  weekend: false,
  tick: 200,
  occupancy: 2,
  ...overrides,
});

/** Given a village and a subject, when the precondition is checked, then it holds (or not). */
const cases: {
  kind: Precondition['kind'];
  precondition: Precondition;
  given?: (state: VillageState) => void;
  holds: PreconditionSubject[];
  fails: PreconditionSubject[];
}[] = [
  {
    kind: 'time_of_day',
    precondition: { kind: 'time_of_day', from: 15, to: 24 },
    holds: [subject({ hour: 15 }), subject({ hour: 23 })],
    fails: [subject({ hour: 14 }), subject({ hour: 0 })],
  },
  {
    kind: 'day_kind',
    precondition: { kind: 'day_kind', is: 'weekend' },
    holds: [subject({ weekend: true })],
    fails: [subject({ weekend: false })],
  },
  {
    kind: 'weather',
    precondition: { kind: 'weather', in: ['storm'] },
    given: (state) => {
      state.weather = 'storm';
    },
    holds: [subject()],
    fails: [],
  },
  {
    kind: 'relationship',
    precondition: { kind: 'relationship', field: 'affinity', min: 0.5 },
    holds: [subject({ actor: 'npc_sanni', target: 'npc_leena' })],
    fails: [
      subject({ actor: 'npc_sanni', target: 'npc_timo' }),
      subject({ target: undefined }),
      subject({ actor: 'npc_sanni', target: 'npc_ville' }),
    ],
  },
  {
    kind: 'relationship_tag',
    precondition: { kind: 'relationship_tag', tag: 'family', present: true },
    holds: [subject({ actor: 'npc_sanni', target: 'npc_esko' })],
    fails: [subject({ actor: 'npc_sanni', target: 'npc_leena' }), subject({ target: undefined })],
  },
  {
    kind: 'trait',
    precondition: { kind: 'trait', who: 'target', trait: 'principled', present: true },
    holds: [subject({ target: 'npc_leena' })],
    fails: [subject({ target: 'npc_sanni' }), subject({ target: undefined })],
  },
  {
    kind: 'role',
    precondition: { kind: 'role', who: 'actor', role: 'reporter', present: true },
    holds: [subject({ actor: 'npc_aino' })],
    fails: [subject({ actor: 'npc_sanni' })],
  },
  {
    kind: 'mood',
    precondition: { kind: 'mood', who: 'actor', min: 0, max: 0.5 },
    given: (state) => {
      npc(state, 'npc_sanni').mood = 0.2;
      npc(state, 'npc_timo').mood = -0.3;
    },
    holds: [subject({ actor: 'npc_sanni' })],
    fails: [subject({ actor: 'npc_timo' })],
  },
  {
    kind: 'energy',
    precondition: { kind: 'energy', who: 'actor', max: 0.5 },
    given: (state) => {
      npc(state, 'npc_pekka').energy = 0.4;
    },
    holds: [subject({ actor: 'npc_pekka' })],
    fails: [subject({ actor: 'npc_sanni' })],
  },
  {
    kind: 'reputation',
    precondition: { kind: 'reputation', who: 'target', min: 0.6 },
    given: (state) => {
      npc(state, 'npc_juhani').reputation = 0.8;
    },
    holds: [subject({ target: 'npc_juhani' })],
    fails: [subject({ target: 'npc_leena' }), subject({ target: undefined })],
  },
  {
    kind: 'age',
    precondition: { kind: 'age', who: 'actor', min: 18 },
    holds: [subject({ actor: 'npc_sanni' })],
    fails: [subject({ actor: 'npc_ville' })],
  },
  {
    kind: 'occupancy',
    precondition: { kind: 'occupancy', min: 3 },
    holds: [subject({ occupancy: 3 })],
    fails: [subject({ occupancy: 2 })],
  },
  {
    kind: 'tension',
    precondition: { kind: 'tension', max: 0.3 },
    holds: [subject()],
    fails: [],
  },
  {
    kind: 'recent_memory',
    precondition: { kind: 'recent_memory', eventType: 'argument', withinHours: 24, present: true },
    given: (state) => {
      npc(state, 'npc_leena').memories.push({
        eventId: 'ev_1',
        type: 'argument',
        tick: 150,
        importance: 0.5,
        valence: -0.6,
        with: ['npc_juhani'],
      });
    },
    holds: [subject({ actor: 'npc_leena', target: 'npc_juhani', tick: 200 })],
    fails: [
      subject({ actor: 'npc_leena', target: 'npc_sanni', tick: 200 }),
      subject({ actor: 'npc_leena', target: 'npc_juhani', tick: 150 + 24 * 4 + 1 }),
    ],
  },
];

describe('preconditions', () => {
  it('has a case for every kind', () => {
    const kinds = new Set(cases.map((entry) => entry.kind));
    expect([...kinds].sort()).toEqual(
      [
        'age',
        'day_kind',
        'energy',
        'mood',
        'occupancy',
        'recent_memory',
        'relationship',
        'relationship_tag',
        'reputation',
        'role',
        'tension',
        'time_of_day',
        'trait',
        'weather',
      ].sort(),
    );
  });

  for (const entry of cases) {
    it(`${entry.kind}: given the village, when checked, then it holds exactly for the matching subjects`, () => {
      const state = givenVillage(entry.given);
      for (const holding of entry.holds)
        expect(checkPrecondition(entry.precondition, state, index, holding), JSON.stringify(holding)).toBe(true);
      for (const failing of entry.fails)
        expect(checkPrecondition(entry.precondition, state, index, failing), JSON.stringify(failing)).toBe(false);
    });
  }

  it('weather: given rain, when a storm is required, then it fails', () => {
    const state = givenVillage((village) => {
      village.weather = 'rain';
    });
    expect(checkPrecondition({ kind: 'weather', in: ['storm'] }, state, index, subject())).toBe(false);
  });

  it('tension: given a tense village, when calm is required, then it fails', () => {
    const state = givenVillage((village) => {
      village.tension = 0.6;
    });
    expect(checkPrecondition({ kind: 'tension', max: 0.3 }, state, index, subject())).toBe(false);
  });

  it('negated kinds: given present=false, when the fact is true, then it fails', () => {
    const state = givenVillage();
    expect(checkPrecondition({ kind: 'trait', who: 'actor', trait: 'talkative', present: false }, state, index, subject())).toBe(false);
    expect(checkPrecondition({ kind: 'role', who: 'actor', role: 'clergy', present: false }, state, index, subject())).toBe(true);
    expect(
      checkPrecondition({ kind: 'relationship_tag', tag: 'family', present: false }, state, index, subject({ target: undefined })),
    ).toBe(true);
    expect(
      checkPrecondition({ kind: 'recent_memory', eventType: 'argument', withinHours: 24, present: false }, state, index, subject()),
    ).toBe(true);
  });
});
