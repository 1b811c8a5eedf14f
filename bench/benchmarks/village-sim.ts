/**
 * village-sim: the village engine in sim-days per second, no LLM. The default catalog and a generated 1,000-NPC
 * catalog, each engine only (events counted, not stored) and with every event appended to an SQLite event store in a
 * file (WAL, as `koivulahti sim` opens it) plus a snapshot every sim-day. Each figure is the median of its runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, openDatabase, runMigrations, SnapshotStore, storeMigrations } from '../../src/store/index.js';
import { type LoadedCatalog, loadCatalog, VillageRun, validateCatalog } from '../../src/village/index.js';
import { generateCatalog } from '../../src/village/testing/generate-catalog.js';
import { round } from '../lib/measure.js';
import { type BenchContext, type Benchmark, type ResultRow, row } from '../lib/types.js';

interface SimFigure {
  daysPerSecond: number;
  days: number;
  seconds: number;
  events: number;
}

/** The median run of `repeats` (by duration), with every run's figure kept beside it. */
async function medianOf(
  repeats: number,
  catalog: LoadedCatalog,
  days: number,
  persisted: boolean,
): Promise<SimFigure & { runs: number[] }> {
  const figures: SimFigure[] = [];
  for (let attempt = 0; attempt < repeats; attempt++) figures.push(await simulate(catalog, days, persisted));
  const sorted = [...figures].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as SimFigure;
  return { ...median, runs: figures.map((figure) => round(figure.daysPerSecond)) };
}

async function simulate(catalog: LoadedCatalog, days: number, persisted: boolean): Promise<SimFigure> {
  const directory = persisted ? mkdtempSync(join(tmpdir(), 'koivulahti-bench-sim-')) : undefined;
  const database = directory ? await openDatabase({ sqlitePath: join(directory, 'sim.db') }) : undefined;
  try {
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
    await run.advanceDays(days);
    const seconds = (performance.now() - started) / 1000;
    return { daysPerSecond: days / seconds, days, seconds, events };
  } finally {
    await database?.destroy();
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
}

export const villageSimBenchmark: Benchmark = {
  name: 'village-sim',
  title: 'Village engine: sim-days per second, no LLM',
  reference: 'the same catalog engine-only (for the cost of storing events); the default catalog (for the 1,000-NPC scale)',
  async run(context: BenchContext) {
    const npcs = 1_000;
    const defaultDays = context.quick ? 56 : 112;
    const largeDays = context.quick ? 3 : 14;
    const standard = loadCatalog();
    const large = validateCatalog(generateCatalog(standard.catalog, npcs));
    const defaultLabel = `default catalog (${standard.catalog.npcs.length} NPCs)`;
    const largeLabel = `generated catalog (${large.catalog.npcs.length} NPCs)`;
    const repeats = 3;
    const defaultRepeats = context.quick ? 3 : 5;
    // Warm the JIT so the first measured case is not charged for it.
    await simulate(standard, defaultDays, false);
    await simulate(standard, 2, true);

    context.log(`${defaultLabel}: ${defaultDays} days, engine only and with SQLite, median of ${defaultRepeats}`);
    const defaultEngine = await medianOf(defaultRepeats, standard, defaultDays, false);
    const defaultStored = await medianOf(defaultRepeats, standard, defaultDays, true);
    context.log(`${largeLabel}: ${largeDays} days, engine only and with SQLite, median of ${repeats}`);
    const largeEngine = await medianOf(repeats, large, largeDays, false);
    const largeStored = await medianOf(repeats, large, largeDays, true);

    const unit = 'sim-days/s';
    const details = (figure: SimFigure) => ({
      days: figure.days,
      runsDaysPerSecond: (figure as { runs?: number[] }).runs,
      seconds: round(figure.seconds),
      events: figure.events,
      eventsPerSecond: round(figure.events / figure.seconds),
    });
    const rows: ResultRow[] = [
      row(
        `${defaultLabel}, + SQLite store and snapshots`,
        { value: round(defaultStored.daysPerSecond), unit },
        { label: 'engine only', value: round(defaultEngine.daysPerSecond), unit },
        'of engine only',
        { details: { ...details(defaultStored), engineOnly: details(defaultEngine) } },
      ),
      row(
        `${largeLabel}, engine only`,
        { value: round(largeEngine.daysPerSecond), unit },
        { label: `${defaultLabel}, engine only`, value: round(defaultEngine.daysPerSecond), unit },
        `of the default catalog (NPCs x${round(large.catalog.npcs.length / standard.catalog.npcs.length)})`,
        { details: details(largeEngine) },
      ),
      row(
        `${largeLabel}, + SQLite store and snapshots`,
        { value: round(largeStored.daysPerSecond), unit },
        { label: 'engine only', value: round(largeEngine.daysPerSecond), unit },
        'of engine only',
        { details: details(largeStored) },
      ),
    ];
    return {
      parameters: {
        seed: 42,
        defaultDays,
        largeDays,
        generatedNpcs: npcs,
        medianOf: { default: defaultRepeats, generated: repeats },
        database: 'SQLite file (WAL) in the temp directory',
      },
      rows,
      notes: [
        'The store is in-memory SQLite; events are appended per tick as the world runner does, with a snapshot each sim-day.',
        `Each figure is the median of ${defaultRepeats} (default catalog) or ${repeats} (generated) runs after a warm-up run.`,
      ],
    };
  },
};
