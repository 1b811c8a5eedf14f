import { describe, expect, it } from 'vitest';
import type { Happening } from '../domain/events.js';
import { createInitialState } from '../domain/state.js';
import { defaultVillageSettings } from '../domain/village-settings.js';
import { loadCatalog } from './catalog-loader.js';
import { SimulationTally } from './simulation-summary.js';
import { VillageRun } from './world-run.js';

describe('seven sim-days of the default catalog', async () => {
  const catalog = loadCatalog();
  const happenings: Happening[] = [];
  const tally = new SimulationTally(createInitialState(catalog.catalog, defaultVillageSettings), catalog.catalog.channels.thresholds.NEWS);
  const run = VillageRun.start({
    catalog,
    seed: 42,
    onEvent: (event) => {
      tally.add(event);
      if (event.type === 'village_event') happenings.push(event.data);
    },
  });
  await run.advanceDays(7);

  it('involves every NPC in at least 5 events', () => {
    for (const npc of catalog.catalog.npcs) expect(tally.participation.get(npc.id) ?? 0, npc.id).toBeGreaterThanOrEqual(5);
  });

  it('produces at least 15 distinct event types', () => {
    expect(new Set(happenings.map((happening) => happening.type)).size).toBeGreaterThanOrEqual(15);
  });

  it('moves relationships both up and down', () => {
    const changes = tally.relationshipChanges(run.state);
    expect(changes.some((change) => change.affinity > 0)).toBe(true);
    expect(changes.some((change) => change.affinity < 0)).toBe(true);
  });

  it('has NEWS-worthy events, fewer than 10 % of all village events', () => {
    const newsWorthy = happenings.filter((happening) => happening.impact.score >= 0.65).length;
    expect(newsWorthy).toBeGreaterThan(0);
    expect(newsWorthy / happenings.length).toBeLessThan(0.1);
  });

  it('cascades: follow-ups, kick-off and director events all happen', () => {
    const origins = new Set(happenings.map((happening) => happening.origin));
    expect(origins).toEqual(new Set(['routine', 'follow_up', 'kickoff', 'director']));
  });

  it('keeps every channel within its daily budget', () => {
    const perDay = new Map<string, number>();
    for (const happening of happenings)
      for (const decision of happening.renders)
        if (decision.outcome === 'render') {
          const key = `${happening.simTime.slice(0, 10)}:${decision.channel}`;
          perDay.set(key, (perDay.get(key) ?? 0) + 1);
        }
    for (const [key, count] of perDay) {
      const channel = key.split(':')[1] as 'FEED' | 'CHAT' | 'NEWS';
      expect(count).toBeLessThanOrEqual(catalog.catalog.channels.dailyBudgets[channel]);
    }
  });
});
