import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { loadCatalog } from '../services/catalog-loader.js';
import { buildCatalogIndex } from './context.js';
import { chooseWeather, directorFactor, targetTension } from './director.js';
import { runTick } from './engine.js';
import type { Happening, VillageEvent } from './events.js';
import { createInitialState, type VillageState } from './state.js';
import { defaultVillageSettings } from './village-settings.js';

const { catalog } = loadCatalog();
const index = buildCatalogIndex(catalog, defaultVillageSettings);

function simulate(seed: number, ticks: number, inspect: (state: VillageState, events: VillageEvent[]) => void = () => undefined) {
  let state = createInitialState(catalog, defaultVillageSettings);
  const context = { index, rng: Rng.fromSeed(seed) };
  const events: VillageEvent[] = [];
  for (let step = 0; step < ticks; step++) {
    const result = runTick(state, context);
    state = result.state;
    events.push(...result.events);
    inspect(state, result.events);
  }
  return { state, events, happenings: events.flatMap((event) => (event.type === 'village_event' ? [event.data] : [])) };
}

const week = simulate(11, 96 * 7);

describe('the engine over a week', () => {
  it('given routines, when the clock reaches a block, then NPCs not caught in an event are where their routine says', () => {
    let monday8: { state: VillageState; busy: Set<string> } | undefined;
    simulate(3, 33, (state, events) => {
      if (state.tick !== 32) return; // Monday 08:00
      const busy = new Set(
        events.flatMap((event) => (event.type === 'village_event' ? [...event.data.actors, ...event.data.targets] : [])),
      );
      monday8 = { state: structuredClone(state), busy };
    });
    expect(monday8, 'the run reached Monday 08:00').toBeDefined();
    const leena = monday8?.state.npcs.find((npc) => npc.id === 'npc_leena');
    expect(leena?.block).toBe('weekday:8');
    // Everyone whose routine changes at 08:00 and who is not in an event this tick is at one of the block's places.
    const moved = (monday8?.state.npcs ?? []).filter((npc) => npc.block === 'weekday:8' && !monday8?.busy.has(npc.id));
    expect(moved.map((npc) => npc.id)).toContain('npc_leena');
    for (const npc of moved) {
      const position = index.npcIndex.get(npc.id) ?? -1;
      expect(index.routines[position]?.[0]?.[8]?.places, npc.id).toContain(npc.location);
    }
    expect(leena?.location).toBe('place_kirjasto');
  });

  it('given a variety window, when NPCs choose on their own, then the same type with the same pair does not repeat within it', () => {
    const last = new Map<string, number>();
    let repeats = 0;
    for (const happening of week.happenings.filter((entry) => entry.origin === 'routine')) {
      const pair = [happening.actors[0], happening.targets[0]].filter(Boolean).sort().join(',');
      const key = `${happening.type}:${pair}`;
      const window =
        (catalog.eventTypes.find((type) => type.id === happening.type)?.cooldownHours ?? defaultVillageSettings.varietyHours) * 4;
      const previous = last.get(key);
      if (previous !== undefined) {
        repeats += 1;
        expect(happening.tick - previous, key).toBeGreaterThan(window);
      }
      last.set(key, happening.tick);
    }
    expect(repeats, 'pairs that did the same thing again later in the week').toBeGreaterThan(0);
  });

  it('given follow-ups, when they happen, then each names an earlier parent one level up and respects the cascade depth', () => {
    const byId = new Map<string, Happening>(week.happenings.map((happening) => [happening.id, happening]));
    const followUps = week.happenings.filter((happening) => happening.origin === 'follow_up');
    expect(followUps.length).toBeGreaterThan(5);
    for (const happening of followUps) {
      const parent = byId.get(happening.parentId as string);
      expect(parent?.tick).toBeLessThan(happening.tick);
      expect(happening.depth).toBe((parent?.depth ?? 0) + 1);
      expect(happening.depth).toBeLessThanOrEqual(defaultVillageSettings.maxCascadeDepth);
      expect(parent?.followUps.map((pending) => pending.id)).toContain(happening.pendingId);
    }
  });

  it('given each new day, when it starts, then it has weather from the catalog and the kick-off happens on day 1 as written', () => {
    const days = week.events.flatMap((event) => (event.type === 'day_started' ? [event.data] : []));
    expect(days.map((day) => day.day)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(days.map((day) => day.date)).toEqual([
      '2026-05-04',
      '2026-05-05',
      '2026-05-06',
      '2026-05-07',
      '2026-05-08',
      '2026-05-09',
      '2026-05-10',
    ]);
    for (const day of days) expect(catalog.world.weather.map((weather) => weather.id)).toContain(day.weather);
    const kickoff = week.happenings.filter((happening) => happening.origin === 'kickoff');
    expect(kickoff.map((happening) => [happening.type, happening.simTime.slice(11, 16)])).toEqual(
      catalog.kickoff.events.map((entry) => [entry.type, entry.at]),
    );
  });

  it('given night hours, when NPCs are at home, then nobody starts anything there', () => {
    let atNight = 0;
    for (const happening of week.happenings.filter((entry) => entry.origin === 'routine')) {
      const hour = Number(happening.simTime.slice(11, 13));
      const homeOfActor = catalog.npcs.find((npc) => npc.id === happening.actors[0])?.home;
      if (hour >= 23 || hour < 7) {
        atNight += 1;
        expect(happening.place).not.toBe(homeOfActor);
      }
    }
    expect(atNight, 'routine happenings at night (away from home) to check').toBeGreaterThan(0);
  });

  it('given goals, when actors do what advances them, then progress is recorded', () => {
    expect(Object.values(week.state.goals).some((progress) => progress > 0)).toBe(true);
  });
});

describe('the director', () => {
  it('given the hour and weekday, when asked for the target tension, then mornings are calm and a Friday evening is lively', () => {
    expect(targetTension({ hour: 3, weekday: 1 })).toBeCloseTo(0.15);
    expect(targetTension({ hour: 19, weekday: 5 })).toBeGreaterThan(0.45);
    expect(targetTension({ hour: 19, weekday: 5 })).toBeGreaterThan(targetTension({ hour: 19, weekday: 1 }));
  });

  it('given tension below the target, when weighing, then conflict is favoured; above it, calm types are', () => {
    expect(directorFactor('conflict', -0.5, 0.1, 0.4)).toBeGreaterThan(1);
    expect(directorFactor('everyday', 0.5, 0.1, 0.4)).toBe(1);
    expect(directorFactor('conflict', -0.5, 0.6, 0.3)).toBeLessThan(1);
    expect(directorFactor('everyday', 0.5, 0.6, 0.3)).toBeGreaterThan(1);
  });

  it("given yesterday's weather, when choosing today's, then it persists more often than its share", () => {
    const rng = Rng.fromSeed(5);
    let storms = 0;
    for (let day = 0; day < 2_000; day++) if (chooseWeather(index, 'storm', rng) === 'storm') storms += 1;
    const total = catalog.world.weather.reduce((sum, weather) => sum + weather.weight, 0);
    expect(storms / 2_000).toBeGreaterThan(1 / total);
  });
});
