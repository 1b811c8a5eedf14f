/**
 * What `koivulahti sim` and `koivulahti replay` do, minus argument parsing and wiring (which live in src/cli.ts):
 * run a seeded simulation headless with progress and a summary, or re-run a recorded one and compare.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ValidationError } from '../../core/errors.js';
import { growCatalog, maxVillagers } from '../domain/catalog-growth.js';
import { worldStreamId } from '../domain/events.js';
import { hashSettings, runIdFor, serializeEvent } from '../domain/runs.js';
import { parseInstant } from '../domain/sim-time.js';
import { createInitialState } from '../domain/state.js';
import { defaultVillageSettings, type VillageSettings } from '../domain/village-settings.js';
import { type LoadedCatalog, loadCatalog, validateCatalog } from './catalog-loader.js';
import { type ReplayReport, replayRun } from './replay.js';
import { SimulationTally } from './simulation-summary.js';
import { type RunPersistence, VillageRun } from './world-run.js';

export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface SimulateOptions {
  seed: number;
  days: number;
  catalogDirectory?: string | undefined;
  /** Grow the catalog to this many villagers (`growCatalog`); absent or at most the catalog's own: as written. */
  npcs?: number | undefined;
  /** Write every event as one JSON line. */
  out?: string | undefined;
  persistence?: RunPersistence | undefined;
  settings?: VillageSettings;
  /** Where progress goes (stderr in the CLI); nothing when absent. */
  progress?: ProgressOutput;
}

export interface SimulateResult {
  runId: string;
  streamId: string;
  events: number;
  logHash: string;
  catalog: LoadedCatalog;
  summary: string;
  tally: SimulationTally;
  seconds: number;
}

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  // The generator is seeded with a 32-bit integer; larger seeds would silently collide.
  if (!Number.isInteger(options.seed) || options.seed !== (options.seed | 0))
    throw new ValidationError('--seed must be an integer between -2147483648 and 2147483647');
  if (!Number.isInteger(options.days) || options.days < 1) throw new ValidationError('--days must be a positive integer');
  const catalog = townCatalog(options.catalogDirectory, options.npcs);
  const settings = options.settings ?? defaultVillageSettings;
  const tally = new SimulationTally(createInitialState(catalog.catalog, settings), catalog.catalog.channels.thresholds.NEWS);
  const runId = runIdFor(catalog.catalog.world.id, options.seed, catalog.hash, hashSettings(settings));
  if (options.persistence && (await options.persistence.store.streamVersion(worldStreamId(runId))) > 0)
    throw new ValidationError(`run ${runId} is already recorded; compare it with: koivulahti replay --run ${runId}`);
  const file = options.out ? openSync(options.out, 'w') : undefined;
  const progress = options.progress ? progressReporter(options.progress, options.days) : undefined;
  const started = performance.now();
  try {
    const run = VillageRun.start({
      catalog,
      seed: options.seed,
      settings,
      ...(options.persistence ? { persistence: options.persistence } : {}),
      onEvent: (event) => {
        tally.add(event);
        if (file !== undefined) writeSync(file, `${serializeEvent(event)}\n`);
      },
      onDay: (day) => progress?.(day, tally.events),
    });
    await run.advanceDays(options.days);
    progress?.(options.days, tally.events, true);
    return {
      runId: run.identity.runId,
      streamId: run.streamId,
      events: run.version,
      logHash: run.logHash(),
      catalog,
      summary: tally.format(run.state),
      tally,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (file !== undefined) closeSync(file);
  }
}

/** The catalog as written, or grown to `npcs` villagers (validated again: a grown catalog has its own hash). */
export function townCatalog(directory: string | undefined, npcs: number | undefined): LoadedCatalog {
  if (npcs !== undefined && (!Number.isInteger(npcs) || npcs < 1 || npcs > maxVillagers))
    throw new ValidationError(`--npcs must be an integer from 1 to ${maxVillagers}, got ${npcs}`);
  const catalog = loadCatalog(directory);
  if (npcs === undefined || npcs <= catalog.catalog.npcs.length) return catalog;
  return validateCatalog(growCatalog(catalog.catalog, npcs), `${catalog.directory} grown to ${npcs} villagers`);
}

function progressReporter(output: ProgressOutput, days: number): (day: number, events: number, done?: boolean) => void {
  let last = 0;
  return (day, events, done = false) => {
    if (output.isTTY) {
      const width = 30;
      const filled = Math.round((day / days) * width);
      output.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] day ${day}/${days}  ${events} events${done ? '\n' : ''}`);
    } else if (!done && day !== last) output.write(`day ${day}/${days} done, ${events} events\n`);
    last = day;
  };
}

export interface ReplayCommandOptions {
  runId: string;
  from?: string | undefined;
  catalogDirectory?: string | undefined;
  /** The `--npcs` the run was made with. */
  npcs?: number | undefined;
  persistence: RunPersistence;
  settings?: VillageSettings;
}

export async function replay(options: ReplayCommandOptions): Promise<ReplayReport> {
  const catalog = townCatalog(options.catalogDirectory, options.npcs);
  let from: number | undefined;
  if (options.from !== undefined) {
    try {
      from = parseInstant(options.from);
    } catch {
      throw new ValidationError(`--from must be a sim time like 2026-05-06T12:00 or 2026-05-06T12:00:00+03:00, got ${options.from}`);
    }
  }
  return replayRun({
    catalog,
    persistence: options.persistence,
    runId: options.runId,
    ...(options.settings ? { settings: options.settings } : {}),
    ...(from !== undefined ? { from } : {}),
  });
}

export function formatReplayReport(report: ReplayReport): string {
  const origin = report.startedAfter === 0 ? 'from the seed' : `from the snapshot at version ${report.startedAfter}`;
  if (report.identical)
    return `identical: run ${report.runId} re-run ${origin}, ${report.compared} events compared (${worldStreamId(report.runId)})`;
  const divergence = report.divergence;
  return [
    `diverged: run ${report.runId} re-run ${origin} differs at version ${divergence?.version ?? '?'} after ${report.compared} identical events`,
    `  recorded: ${divergence?.expected ?? '(no event)'}`,
    `  re-run:   ${divergence?.actual ?? '(no event)'}`,
  ].join('\n');
}
