import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { given } from '../../core/testing/decider-spec.js';
import { loadCatalog } from '../services/catalog-loader.js';
import { buildCatalogIndex } from './context.js';
import { villageDecider } from './decider.js';
import { runTick } from './engine.js';
import type { VillageEvent } from './events.js';
import { createInitialState } from './state.js';
import type { Randomness } from './tick-frame.js';
import { defaultVillageSettings } from './village-settings.js';

const { catalog } = loadCatalog();
const index = buildCatalogIndex(catalog, defaultVillageSettings);
const decider = villageDecider(index);

/** Draws that always take the first option; `eager` says whether every chance succeeds (everyone acts) or none does. */
function scripted(eager: boolean): Randomness {
  return {
    int: (min) => min,
    float: () => 0.5,
    chance: () => eager,
    pick: <T>(items: readonly T[]) => items[0] as T,
    weightedIndex: () => 0,
  };
}

/** The first `ticks` ticks of the seeded run as the engine runs them (in place), and the Rng after them. */
function run(ticks: number, seed = 7): { events: VillageEvent[]; rng: Rng } {
  let state = createInitialState(catalog, defaultVillageSettings);
  const rng = Rng.fromSeed(seed);
  const events: VillageEvent[] = [];
  for (let step = 0; step < ticks; step++) {
    const result = runTick(state, { index, rng });
    state = result.state;
    events.push(...result.events);
  }
  return { events, rng };
}

/** What a stream holds before the tick under test. */
const history = (ticks: number) => run(ticks).events;

const advance = (eager: boolean) => ({ type: 'advance_tick' as const, rng: scripted(eager) });

describe('the village decider', () => {
  it('given a fresh run, when the first tick is decided, then day 1 starts with catalog weather and the clock reads midnight', () => {
    given(decider, [])
      .when(advance(false))
      .then([
        {
          type: 'day_started',
          data: expect.objectContaining({ day: 1, date: '2026-05-04', tick: 0, weather: catalog.world.weather[0]?.id }),
        },
        { type: 'clock_advanced', data: expect.objectContaining({ tick: 0, simTime: '2026-05-04T00:00:00+03:00', night: true }) },
      ]);
  });

  it('given everyone in bed at 02:00, when every NPC would act, then nothing happens but the clock', () => {
    given(decider, history(8))
      .when(advance(true))
      .then([{ type: 'clock_advanced', data: expect.objectContaining({ tick: 8, hour: 2, night: true }) }]);
  });

  it('given the night before the kick-off, when 07:00 is decided, then the first kick-off happens as the catalog writes it, told in CHAT by the one who heard it', () => {
    const first = catalog.kickoff.events[0];
    given(decider, history(28))
      .when(advance(false))
      .then([
        { type: 'clock_advanced', data: expect.objectContaining({ tick: 28, hour: 7, night: false }) },
        {
          type: 'village_event',
          data: expect.objectContaining({
            type: first?.type,
            origin: 'kickoff',
            place: first?.place,
            actors: first?.actors,
            targets: first?.targets,
            topic: first?.topic,
            simTime: '2026-05-04T07:00:00+03:00',
          }),
        },
        {
          type: 'render_requested',
          data: expect.objectContaining({ eventId: 'ev_1', channel: 'CHAT', authorId: first?.targets[0], language: 'fi' }),
        },
      ]);
  });

  it('given a run, when a tick is decided twice from the same state and draws, then the events are the same and the state is untouched', () => {
    const events = history(40);
    const seeded = () => ({ type: 'advance_tick' as const, rng: Rng.fromSeed(99) });
    const state = decider.initialState();
    for (const event of events) decider.evolve(state, event);
    const before = structuredClone(state);
    const once = decider.decide(seeded(), state);
    expect(decider.decide(seeded(), state)).toEqual(once);
    expect(state).toEqual(before);
    given(decider, events).when(seeded()).then(once);
  });

  it('given the first ten hours of a run, when the next tick is decided, then it is the tick the engine itself runs next', () => {
    const before = run(40);
    const after = run(41);
    expect(after.events.length).toBeGreaterThan(before.events.length);
    given(decider, before.events).when({ type: 'advance_tick', rng: before.rng }).then(after.events.slice(before.events.length));
  });
});
