/**
 * village-sim: the village engine in sim-days per second, no LLM. The default catalog and a generated 1,000-NPC
 * catalog, each engine only (events counted, not stored) and with every event appended to an SQLite event store in a
 * file (WAL, as `koivulahti sim` opens it) plus a snapshot every sim-day. Each figure is the median of its runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, openDatabase, runMigrations, SnapshotStore, storeMigrations } from '../../src/store/index.js';
import { growCatalog } from '../../src/village/domain/catalog-growth.js';
import { type LoadedCatalog, loadCatalog, VillageRun, validateCatalog } from '../../src/village/index.js';
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

interface TickCost {
  npcs: number;
  ticks: number;
  cpuMsPerTick: number;
  wallMsPerTick: number;
  happenings: number;
}

/** CPU and wall time per tick of the engine alone over the first `ticks` ticks of a run (the same sim hours at every size). */
async function tickCost(catalog: LoadedCatalog, ticks: number): Promise<TickCost> {
  let happenings = 0;
  const run = VillageRun.start({
    catalog,
    seed: 42,
    onEvent: (event) => {
      if (event.type === 'village_event') happenings += 1;
    },
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run.advanceTicks(ticks);
  const used = process.cpuUsage(cpu);
  return {
    npcs: catalog.catalog.npcs.length,
    ticks,
    cpuMsPerTick: (used.user + used.system) / 1000 / ticks,
    wallMsPerTick: (performance.now() - started) / ticks,
    happenings,
  };
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
    const large = validateCatalog(growCatalog(standard.catalog, npcs));
    const defaultLabel = `default catalog (${standard.catalog.npcs.length} NPCs)`;
    const largeLabel = `grown catalog (${large.catalog.npcs.length} NPCs)`;
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

    // A whole sim-day at 10,000 villagers costs tens of CPU-seconds on a loaded machine: quick mode times a quarter day.
    const scaleTicks = context.quick ? 24 : 96;
    context.log(`tick cost: the first ${scaleTicks} ticks at 1,000 and 10,000 villagers (grown catalog), engine only`);
    const thousand = await tickCost(large, scaleTicks);
    const tenThousand = await tickCost(validateCatalog(growCatalog(standard.catalog, 10_000)), scaleTicks);
    const ticksPerDay = (24 * 60) / standard.catalog.world.tickMinutes;

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
      row(
        'grown catalog (10,000 NPCs), CPU per tick, engine only',
        { value: round(tenThousand.cpuMsPerTick), unit: 'CPU-ms' },
        { label: 'grown catalog (1,000 NPCs), CPU per tick', value: round(thousand.cpuMsPerTick), unit: 'CPU-ms' },
        'x the 1,000-NPC tick (NPCs x10)',
        {
          target: {
            text: '10,000-NPC tick <= 10 x the 1,000-NPC tick',
            measured: round(tenThousand.cpuMsPerTick / thousand.cpuMsPerTick),
            met: tenThousand.cpuMsPerTick <= 10 * thousand.cpuMsPerTick,
          },
          details: { ticks: scaleTicks, thousand: roundAll(thousand), tenThousand: roundAll(tenThousand) },
        },
      ),
      row(
        'grown catalog (10,000 NPCs), sim-days per CPU-second, engine only',
        { value: round(1000 / (tenThousand.cpuMsPerTick * ticksPerDay)), unit: 'sim-days/CPU-s' },
        { label: 'one sim-day per second', value: 1, unit: 'sim-days/s' },
        'of the target',
        {
          target: {
            text: '>= 1 sim-day/s at 10,000 NPCs',
            measured: round(1000 / (tenThousand.cpuMsPerTick * ticksPerDay)),
            met: tenThousand.cpuMsPerTick * ticksPerDay <= 1000,
          },
          details: { wallSimDaysPerSecond: round(1000 / (tenThousand.wallMsPerTick * ticksPerDay)), ticksPerDay },
        },
      ),
    ];
    return {
      parameters: {
        seed: 42,
        defaultDays,
        largeDays,
        grownNpcs: [npcs, 10_000],
        scaleTicks,
        medianOf: { default: defaultRepeats, generated: repeats },
        database: 'SQLite file (WAL) in the temp directory',
      },
      rows,
      notes: [
        'The store is an SQLite file (WAL) in the temp directory; events are appended per tick as the world runner does, with a snapshot each sim-day.',
        `Tick cost: CPU time of this process (process.cpuUsage) over the first ${scaleTicks} ticks from the catalog's start, engine only; sim-days per CPU-second assumes a whole core, the wall figure (details) is what this loaded machine gave.`,
        `Each figure is the median of ${defaultRepeats} (default catalog) or ${repeats} (generated) runs after a warm-up run; every run's figure is in the details.`,
      ],
    };
  },
};

function roundAll(figure: TickCost): Record<string, number> {
  return Object.fromEntries(Object.entries(figure).map(([key, value]) => [key, round(value)]));
}
