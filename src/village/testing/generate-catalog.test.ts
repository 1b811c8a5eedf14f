import { describe, expect, it } from 'vitest';
import { loadCatalog, validateCatalog } from '../catalog/loader.js';
import { VillageRun } from '../services/world-run.js';
import { generateCatalog } from './generate-catalog.js';

describe('the generated catalog', () => {
  const base = loadCatalog().catalog;

  it('given 1,000 NPCs, when generated twice, then it is valid and identical, and a sim-day runs', async () => {
    const first = validateCatalog(generateCatalog(base, 1_000));
    const second = validateCatalog(generateCatalog(base, 1_000));
    expect(first.catalog.npcs).toHaveLength(1_000);
    expect(first.catalog.relationships.length).toBeGreaterThan(3_000);
    expect(second.hash).toBe(first.hash);
    let happenings = 0;
    const run = VillageRun.start({
      catalog: first,
      seed: 1,
      onEvent: (event) => {
        if (event.type === 'village_event') happenings += 1;
      },
    });
    await run.advanceDays(1);
    expect(happenings).toBeGreaterThan(500);
  });
});
