import { describe, expect, it } from 'vitest';
import { loadCatalog, validateCatalog } from '../services/catalog-loader.js';
import { VillageRun } from '../services/world-run.js';
import { growCatalog } from './catalog-growth.js';

describe('growing a catalog', () => {
  const base = loadCatalog().catalog;

  it('given N at or below its own villagers, then the catalog is returned as it is', () => {
    expect(growCatalog(base, 0)).toBe(base);
    expect(growCatalog(base, base.npcs.length)).toBe(base);
  });

  it('given N out of range, then it says what was wrong', () => {
    expect(() => growCatalog(base, -1)).toThrow(/integer from 0 to 100000, got -1/);
    expect(() => growCatalog(base, 1.5)).toThrow(/got 1.5/);
  });

  it('given 1,000 villagers, when grown twice, then it is valid and identical, keeps the originals first and repeats their households and ties', () => {
    const first = validateCatalog(growCatalog(base, 1_000));
    const second = validateCatalog(growCatalog(base, 1_000));
    expect(second.hash).toBe(first.hash);
    const { npcs, relationships, goals, places } = first.catalog;
    expect(npcs).toHaveLength(1_000);
    expect(new Set(npcs.map((npc) => npc.id)).size).toBe(1_000);
    expect(npcs.slice(0, base.npcs.length)).toEqual(base.npcs);
    const sanni = base.npcs.find((npc) => npc.id === 'npc_sanni');
    const esko = base.npcs.find((npc) => npc.id === 'npc_esko');
    const copy = npcs.find((npc) => npc.id === 'npc_sanni_c2');
    expect(copy).toMatchObject({ occupation: sanni?.occupation, roles: sanni?.roles, work: sanni?.work, home: `${sanni?.home}_c2` });
    // Sanni and Esko share a home in the catalog; their copies share the copied home.
    expect(npcs.find((npc) => npc.id === 'npc_esko_c2')?.home).toBe(`${esko?.home}_c2`);
    expect(places.some((place) => place.id === `${sanni?.home}_c2`)).toBe(true);
    const edge = base.relationships[0];
    expect(relationships).toContainEqual({ ...edge, from: `${edge?.from}_c2`, to: `${edge?.to}_c2` });
    expect(relationships).toContainEqual(expect.objectContaining({ from: 'npc_sanni_c3', to: 'npc_sanni_c2', tags: ['neighbour'] }));
    expect(goals.filter((goal) => goal.npc === 'npc_sanni_c2')).toHaveLength(base.goals.filter((goal) => goal.npc === 'npc_sanni').length);
  });

  it('given a grown town, then a sim-day runs and the copies take part', async () => {
    const town = validateCatalog(growCatalog(base, 1_000));
    const actors = new Set<string>();
    const run = VillageRun.start({
      catalog: town,
      seed: 1,
      onEvent: (event) => {
        if (event.type === 'village_event') for (const actor of event.data.actors) actors.add(actor);
      },
    });
    await run.advanceDays(1);
    expect([...actors].filter((id) => id.includes('_c')).length).toBeGreaterThan(100);
  }, 120_000);
});
