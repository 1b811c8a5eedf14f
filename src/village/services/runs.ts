/**
 * Admin run control: the kv flag the engine loop watches (`village.control`: seed, running, speed), recorded as
 * `run_control` events on the run's content stream; which run public reads show; the run status; replay.
 */
import { NotFoundError } from '../../core/errors.js';
import { contentStreamId, type RunControlAction, worldStreamId } from '../domain/events.js';
import { parseInstant } from '../domain/sim-time.js';
import type { RunRow } from '../read-model/queries.js';
import type { VillageContext } from './context.js';
import { renderQueue } from './render/render-job.js';
import { type ReplayReport, replayRun } from './replay.js';

/** What the engine loop watches: written by the admin routes (and by autostart). */
export interface RunControl {
  seed: number;
  running: boolean;
  speed: number;
}

/** The last replay an admin asked for, as the admin page shows it. */
export interface LastReplay extends ReplayReport {
  seed: number;
  from: string | null;
}

/** The admin status of the current run: control flag, sim clock, render queue, post counts, writer model figures. */
export interface RunStatus {
  running: boolean;
  sim_ts: string | null;
  seed: number | null;
  speed: number;
  run_id: string;
  day: number;
  weather: string | null;
  queue: { ready: number; leased: number; dead: number };
  posts: { FEED: number; CHAT: number; NEWS: number; hidden: number; rejected: number };
  llm: { model: string; offline: boolean; calls: number; cache_hits: number; fell_back: number; failed: number };
  dead_letters: Array<{ id: string; attempts: number; last_error: string; key: string | null }>;
}

export const controlKey = 'village.control';
const lastReplayKey = 'village.last_replay';

/** What RunService uses of the shared context. */
export type RunContext = Pick<VillageContext, 'config' | 'kv' | 'store' | 'snapshots' | 'world' | 'queue' | 'llm' | 'queries'>;

export class RunService {
  constructor(private readonly context: RunContext) {}

  async control(): Promise<RunControl | undefined> {
    return (await this.context.kv.get<RunControl>(controlKey))?.value;
  }

  /** The run public reads show: the one last started (or the configured seed's before any start). */
  async currentRunId(): Promise<string> {
    const control = await this.control();
    return this.context.world.runIdFor(control?.seed ?? this.context.config.seed);
  }

  async currentRun(): Promise<RunRow | undefined> {
    return this.context.queries.getRun(await this.currentRunId());
  }

  /** The current run's row and whether it is running (what every page's header shows). */
  async overview(): Promise<{ run: RunRow | undefined; running: boolean }> {
    const control = await this.control();
    const run = await this.currentRun();
    return { run, running: control?.running ?? false };
  }

  start(seed?: number): Promise<RunControl> {
    return this.changeControl('start', { running: true, ...(seed !== undefined ? { seed } : {}) }, ['seed', 'speed']);
  }

  stop(): Promise<RunControl> {
    return this.changeControl('stop', { running: false }, ['seed']);
  }

  setSpeed(speed: number): Promise<RunControl> {
    return this.changeControl('speed', { speed }, ['seed', 'speed']);
  }

  /**
   * Writes the control flag with `change` over the previous one (defaults from config) and records the action on the
   * run's content stream with the fields in `recorded`.
   */
  private async changeControl(
    action: RunControlAction,
    change: Partial<RunControl>,
    recorded: ReadonlyArray<keyof RunControl>,
  ): Promise<RunControl> {
    const previous = await this.control();
    const { config, kv, store, world } = this.context;
    const control: RunControl = {
      seed: change.seed ?? previous?.seed ?? config.seed,
      running: change.running ?? previous?.running ?? false,
      speed: change.speed ?? previous?.speed ?? config.speed,
    };
    await kv.put(controlKey, control);
    const data = Object.fromEntries(recorded.map((field) => [field, control[field]]));
    await store.append(contentStreamId(world.runIdFor(control.seed)), 'any', [{ type: 'run_control', data: { action, ...data } }]);
    return control;
  }

  /**
   * Re-runs the run of `seed` (the current one when absent) from its seed, or from the snapshot before `fromSimTs`,
   * compares it with the stored log and keeps the report for the admin page.
   */
  async replay(seed: number | undefined, fromSimTs: string | undefined): Promise<LastReplay> {
    const chosen = seed ?? (await this.control())?.seed;
    if (chosen === undefined) throw new NotFoundError('no run to replay: pass seed');
    const { store, snapshots, world, kv } = this.context;
    const runId = world.runIdFor(chosen);
    if ((await store.streamVersion(worldStreamId(runId))) === 0) throw new NotFoundError(`no village run with seed ${chosen}`);
    const report = await replayRun({
      catalog: world.catalog,
      settings: world.settings,
      persistence: { store, snapshots },
      runId,
      ...(fromSimTs !== undefined ? { from: parseInstant(fromSimTs) } : {}),
    });
    const last: LastReplay = { seed: chosen, from: fromSimTs ?? null, ...report };
    await kv.put(lastReplayKey, last);
    return last;
  }

  async lastReplay(): Promise<LastReplay | undefined> {
    return (await this.context.kv.get<LastReplay>(lastReplayKey))?.value;
  }

  async status(): Promise<RunStatus> {
    const { queue, llm, queries, config } = this.context;
    const control = await this.control();
    const runId = await this.currentRunId();
    const run = await queries.getRun(runId);
    const depth = await queue.depth(renderQueue);
    const dead = await queue.deadLetters<{ source_event_id?: string }>(renderQueue, { limit: 20 });
    const writer = llm.stats().aliases.writer;
    return {
      running: control?.running ?? false,
      sim_ts: run?.simTime ?? null,
      seed: control?.seed ?? run?.seed ?? null,
      speed: control?.speed ?? config.speed,
      run_id: runId,
      day: run?.day ?? 0,
      weather: run?.weather ?? null,
      queue: depth,
      posts: await queries.postCounts(runId),
      llm: {
        model: writer.model,
        offline: writer.offline,
        calls: writer.calls,
        cache_hits: writer.cacheHits,
        fell_back: writer.fellBack,
        failed: writer.failed,
      },
      dead_letters: dead.map((letter) => ({
        id: letter.id,
        attempts: letter.attempts,
        last_error: letter.lastError,
        key: letter.idempotencyKey ?? null,
      })),
    };
  }
}
