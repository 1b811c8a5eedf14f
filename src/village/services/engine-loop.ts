/**
 * The live run loop: under the world's lease (one ticking engine across processes), watches the run control flag,
 * advances the started run at its speed and enqueues one render job per `render_requested`. A new holder of the lease
 * starts from the store: the newest snapshot and the log after it, re-enqueueing the render jobs of re-derived events.
 */
import { hostname } from 'node:os';
import { sleep } from '../../core/sleep.js';
import { KvLease, runUnderLease } from '../../messaging/index.js';
import type { Happening, VillageEvent } from '../domain/events.js';
import { tickInstant, toLocalTime } from '../domain/sim-time.js';
import type { VillageState } from '../domain/state.js';
import { safely, type VillageContext } from './context.js';
import { buildRenderJob, type RenderJobPayload, renderIdempotencyKey, renderQueue } from './render/render-job.js';
import type { RunControl, RunService } from './runs.js';
import { VillageRun } from './world-run.js';

const maxTicksPerStep = 96;

/** What EngineLoop uses of the shared context. */
export type EngineLoopContext = Pick<
  VillageContext,
  'config' | 'clock' | 'kv' | 'owner' | 'world' | 'store' | 'snapshots' | 'logger' | 'metrics' | 'queries' | 'queue' | 'hooks'
>;

export class EngineLoop {
  /** The engine's ownership lease of this world (one ticking engine per world across processes). */
  readonly lease: KvLease;
  /** The run this process's engine loop is advancing, if any. */
  private active: VillageRun | undefined;
  /** Render jobs of the ticks being advanced, built from the state right after each `render_requested`. */
  private pendingJobs: RenderJobPayload[] = [];

  constructor(
    private readonly context: EngineLoopContext,
    private readonly runs: RunService,
  ) {
    this.lease = new KvLease({
      kv: context.kv,
      key: `village.lease.${context.world.id}`,
      owner: context.owner ?? `${hostname()}:${process.pid}`,
      ttlMs: context.config.lease_ms,
      clock: context.clock,
    });
  }

  /**
   * Advances the run of `seed` by `ticks` ticks now (restoring it from the store first when needed), then enqueues
   * the render jobs of the ticks' `render_requested` events. The engine loop calls it; tests call it directly.
   */
  async advance(seed: number, ticks: number): Promise<VillageRun> {
    const run = this.active?.identity.seed === seed ? this.active : await this.activate(seed);
    this.pendingJobs = [];
    try {
      await run.advanceTicks(ticks);
    } catch (error) {
      // Someone else appended to the world (a former owner, or a new one after we lost the lease): start over from
      // the store next time rather than from this process's now diverged memory.
      this.active = undefined;
      throw error;
    }
    await this.enqueueRenders(this.pendingJobs.splice(0));
    this.context.metrics?.engineTicks.inc({ world: run.identity.world }, ticks);
    const onTick = this.context.hooks.onTick;
    const row = onTick ? await this.context.queries.getRun(run.identity.runId) : undefined;
    if (onTick && row) await safely(this.context, async () => onTick(row, (await this.runs.control())?.running ?? false), 'tick hook');
    return run;
  }

  private async enqueueRenders(jobs: readonly RenderJobPayload[]): Promise<number> {
    let enqueued = 0;
    for (const job of jobs) {
      const result = await this.context.queue.enqueue(renderQueue, job, {
        idempotencyKey: renderIdempotencyKey(job.runId, job.source_event_id, job.channel, job.author_id),
      });
      if (!result.duplicate) enqueued++;
    }
    return enqueued;
  }

  /**
   * Restores (or starts) the run of `seed` and makes it the one this process advances. The render jobs of the events
   * re-derived since the newest snapshot are enqueued again: a previous owner may have died between appending them and
   * enqueueing their jobs. Enqueueing and rendering are idempotent, so jobs already done change nothing.
   */
  private async activate(seed: number): Promise<VillageRun> {
    this.active = undefined;
    const { world, store, snapshots, logger } = this.context;
    let run: VillageRun | undefined;
    let lastHappening: Happening | undefined;
    const runId = world.runIdFor(seed);
    const replayedJobs: RenderJobPayload[] = [];
    // The render job of a `render_requested` is built from the state right after it: into `pendingJobs` for new
    // events, into `replayedJobs` for the ones a restore re-derives.
    const collect = (into: RenderJobPayload[], event: VillageEvent, state: VillageState) => {
      if (event.type === 'village_event') lastHappening = event.data;
      else if (event.type === 'render_requested' && lastHappening?.id === event.data.eventId)
        into.push(buildRenderJob(runId, world.index, state, lastHappening, event.data));
    };
    run = await VillageRun.restore({
      catalog: world.catalog,
      seed,
      settings: world.settings,
      persistence: { store, snapshots },
      onEvent: (event) => {
        if (run) collect(this.pendingJobs, event, run.state);
      },
      onReplayed: (event, _version, state) => collect(replayedJobs, event, state),
      beforeSnapshot: async () => {
        await this.enqueueRenders(this.pendingJobs.splice(0));
      },
    });
    const redelivered = await this.enqueueRenders(replayedJobs);
    if (redelivered > 0)
      logger.info({ runId, redelivered, version: run.version }, 'village engine: render jobs of restored events enqueued again');
    this.active = run;
    return run;
  }

  /**
   * The engine loop: under the world's lease (one ticking engine across processes; the others stand by), watches the
   * control flag and advances the started run at its speed until the signal aborts, then releases the lease so a
   * standby takes over at once. Each new holding starts from the store: the newest snapshot and the log after it.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { metrics, logger, world } = this.context;
    metrics?.worldLeases.set({ world: world.id }, 0);
    await runUnderLease(this.lease, signal, (owned) => this.tickWhileOwned(owned), {
      logger,
      onChange: (held) => {
        this.active = undefined;
        metrics?.worldLeases.set({ world: world.id }, held ? 1 : 0);
        if (!held) metrics?.engineTickLag.set({ world: world.id }, 0);
      },
    });
  }

  private async tickWhileOwned(signal: AbortSignal): Promise<void> {
    const pacer = { last: this.context.clock.now(), carry: 0 };
    while (!signal.aborted) {
      let pause = 200;
      try {
        pause = await this.step(pacer);
      } catch (error) {
        if (signal.aborted) break;
        this.context.logger.error({ err: error }, 'village engine step failed; retrying');
        pause = 1_000;
      }
      await sleep(pause, signal).catch(() => undefined);
    }
  }

  /** One pass of the loop: advances as many ticks as the time since the last pass allows; returns the pause (ms). */
  private async step(pacer: { last: number; carry: number }): Promise<number> {
    const { clock, metrics, config, world } = this.context;
    let pause = 200;
    let control: RunControl | undefined = await this.runs.control();
    if (!control && config.autostart) control = await this.runs.start(config.seed);
    const now = clock.now();
    if (control?.running) {
      // Nights (settings nightFrom..nightTo) pass `night_speedup` times faster: the village sleeps and nothing is
      // written, so a fresh install reaches the first morning within seconds instead of half a minute.
      const interval = config.tick_ms / control.speed / (this.isNight() ? config.night_speedup : 1);
      pacer.carry += (now - pacer.last) / interval;
      metrics?.engineTickLag.set({ world: world.id }, (Math.max(0, pacer.carry - 1) * interval) / 1_000);
      if (pacer.carry > maxTicksPerStep) pacer.carry = maxTicksPerStep;
      const ticks = Math.floor(pacer.carry);
      if (ticks > 0 || this.active?.identity.seed !== control.seed) {
        pacer.carry -= ticks;
        await this.advance(control.seed, ticks);
      }
      pause = Math.max(10, Math.min(250, interval * (1 - pacer.carry)));
    } else {
      pacer.carry = 0;
      metrics?.engineTickLag.set({ world: world.id }, 0);
    }
    pacer.last = now;
    return pause;
  }

  /** True when the active run's next tick falls in the village's night hours. */
  private isNight(): boolean {
    const run = this.active;
    if (!run) return false;
    const { hour } = toLocalTime(tickInstant(run.index.clock, run.state.tick + 1));
    const { nightFrom, nightTo } = this.context.world.settings;
    return nightFrom > nightTo ? hour >= nightFrom || hour < nightTo : hour >= nightFrom && hour < nightTo;
  }
}
