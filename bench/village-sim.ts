/**
 * Village engine throughput in sim-days per second: the default catalog and a generated 1,000-NPC catalog, engine only
 * (events hashed, not stored) and with every event appended to an in-memory SQLite event store plus daily snapshots.
 * Run: npx tsx bench/village-sim.ts [--npcs 1000] [--days 7]
 */
import { parseArgs } from 'node:util';
import { EventStore, openDatabase, runMigrations, SnapshotStore, storeMigrations } from '../src/store/index.js';
import { type LoadedCatalog, loadCatalog, VillageRun, validateCatalog } from '../src/village/index.js';
import { generateCatalog } from '../src/village/testing/generate-catalog.js';

const { values } = parseArgs({ options: { npcs: { type: 'string', default: '1000' }, days: { type: 'string', default: '7' } } });
const days = Number(values.days);

async function measure(label: string, catalog: LoadedCatalog, simDays: number, persisted: boolean): Promise<void> {
  const database = persisted ? await openDatabase({ sqlitePath: ':memory:' }) : undefined;
  if (database) await runMigrations(database, storeMigrations);
  let events = 0;
  const run = VillageRun.start({
    catalog,
    seed: 42,
    onEvent: () => {
      events += 1;
    },
    ...(database ? { persistence: { store: new EventStore(database), snapshots: new SnapshotStore(database) } } : {}),
  });
  const started = performance.now();
  await run.advanceDays(simDays);
  const seconds = (performance.now() - started) / 1000;
  await database?.destroy();
  console.log(
    `${label.padEnd(34)} ${String(simDays).padStart(3)} days  ${seconds.toFixed(2).padStart(7)} s  ${(simDays / seconds).toFixed(2).padStart(8)} sim-days/s  ${String(events).padStart(7)} events`,
  );
}

const standard = loadCatalog();
const large = validateCatalog(generateCatalog(standard.catalog, Number(values.npcs)));
await measure(`default (${standard.catalog.npcs.length} NPCs), engine`, standard, days * 4, false);
await measure(`default (${standard.catalog.npcs.length} NPCs), + SQLite`, standard, days * 4, true);
await measure(`generated (${large.catalog.npcs.length} NPCs), engine`, large, days, false);
await measure(`generated (${large.catalog.npcs.length} NPCs), + SQLite`, large, days, true);
