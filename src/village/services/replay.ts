/** Replaying a recorded run: re-run it from its seed (or a snapshot) and compare every event with the stored log. */
import { ValidationError } from '../../core/errors.js';
import type { EventStore, RecordedEvent } from '../../store/index.js';
import { type RunStarted, worldStreamId } from '../domain/events.js';
import { canonicalEvent, hashSettings } from '../domain/runs.js';
import { parseInstant } from '../domain/sim-time.js';
import { defaultVillageSettings, type VillageSettings } from '../domain/village-settings.js';
import type { LoadedCatalog } from './catalog-loader.js';
import { loadSnapshot, type RunOptions, type RunPersistence, VillageRun, type VillageSnapshot } from './world-run.js';

export interface ReplayOptions {
  catalog: LoadedCatalog;
  settings?: VillageSettings;
  persistence: RunPersistence;
  runId: string;
  /** Start from the newest snapshot at or before this instant (epoch ms) instead of from the seed. */
  from?: number;
}

export interface ReplayReport {
  runId: string;
  identical: boolean;
  /** Version the comparison started after (0 = from the seed). */
  startedAfter: number;
  compared: number;
  recorded: number;
  divergence?: { version: number; expected: string | undefined; actual: string | undefined };
}

/** Re-runs a recorded run (from its seed or a snapshot) and compares every event with the stored log. */
export async function replayRun(options: ReplayOptions): Promise<ReplayReport> {
  const { store, snapshots } = options.persistence;
  const streamId = worldStreamId(options.runId);
  const recorded = await readWholeStream(store, streamId);
  const first = recorded[0];
  if (first?.type !== 'run_started') throw new ValidationError(`no village run ${options.runId} (stream ${streamId} is empty)`);
  const started = first.data as RunStarted;
  const settings = options.settings ?? defaultVillageSettings;
  if (started.catalogHash !== options.catalog.hash)
    throw new ValidationError(
      `run ${options.runId} used catalog ${started.catalogHash.slice(0, 12)}, this catalog is ${options.catalog.hash.slice(0, 12)}; pass --catalog with the run's catalog`,
    );
  if (started.configHash !== hashSettings(settings))
    throw new ValidationError(`run ${options.runId} used village settings ${started.configHash.slice(0, 12)}, these differ`);

  let startedAfter = 0;
  let snapshot: VillageSnapshot | undefined;
  if (options.from !== undefined) {
    const from = options.from;
    const atOrBefore = recorded.filter((event) => {
      const simTime = (event.data as { simTime?: string }).simTime;
      return event.type === 'clock_advanced' && simTime !== undefined && parseInstant(simTime) <= from;
    });
    const limit = atOrBefore[atOrBefore.length - 1]?.version ?? 0;
    const found = await loadSnapshot(snapshots, streamId, limit);
    if (found) {
      snapshot = found.snapshot;
      startedAfter = found.version;
    }
  }

  const report: ReplayReport = { runId: options.runId, identical: true, startedAfter, compared: 0, recorded: recorded.length };
  const stop = new Error('diverged');
  const runOptions: RunOptions = {
    catalog: options.catalog,
    seed: started.seed,
    settings,
    onEvent: (event, version) => {
      const expected = recorded[version - 1];
      const expectedLine = expected ? canonicalEvent(expected) : undefined;
      const actualLine = canonicalEvent(event);
      if (expectedLine !== actualLine) {
        report.identical = false;
        report.divergence = { version, expected: expectedLine, actual: actualLine };
        throw stop;
      }
      report.compared += 1;
    },
  };
  try {
    const run = snapshot ? VillageRun.resume(runOptions, snapshot, startedAfter) : VillageRun.start(runOptions);
    // Tick by tick up to the recorded length: a live run may have stopped in the middle of a sim-day.
    while (run.version < recorded.length) await run.advanceTicks(1);
  } catch (error) {
    if (error !== stop) throw error;
  }
  if (report.identical && startedAfter + report.compared !== recorded.length) {
    report.identical = false;
    const version = startedAfter + report.compared + 1;
    const expected = recorded[version - 1];
    report.divergence = { version, expected: expected ? canonicalEvent(expected) : undefined, actual: undefined };
  }
  return report;
}

async function readWholeStream(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  const page = 5_000;
  for (;;) {
    const batch = await store.readStream(streamId, { fromVersion: events.length + 1, limit: page });
    events.push(...batch);
    if (batch.length < page) return events;
  }
}
