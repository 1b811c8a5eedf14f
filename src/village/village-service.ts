/**
 * The village product without its HTTP face: run control (kv flag the engine loop watches), the engine loop that
 * advances the started run and enqueues render jobs, the render workers, moderation actions (events), replay, and the
 * reads the API and pages need. One instance per process and store (`villageService(services)`).
 */
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { sleep } from '../core/sleep.js';
import type { LlmGateway } from '../llm/index.js';
import { type JobWorkerOptions, KvLease, runJobWorker, runUnderLease, settleJob } from '../messaging/index.js';
import type { JobQueue, KvStore, LeasedJob } from '../messaging/ports.js';
import { type EventStore, type SnapshotStore, VersionConflictError } from '../store/index.js';
import { type LoadedCatalog, loadCatalog } from './catalog-loader.js';
import { buildCatalogIndex, type CatalogIndex } from './domain/context.js';
import { evolve } from './domain/engine.js';
import type { Happening, VillageEvent } from './domain/events.js';
import { boundaryProblems, type ChannelLimits, generatedPostSchema } from './domain/posts.js';
import { parseInstant, tickInstant, toLocalTime } from './domain/sim-time.js';
import { createInitialState, type VillageState } from './domain/state.js';
import { defaultVillageSettings, type VillageSettings } from './domain/village-settings.js';
import {
  contentStreamId,
  type ModerationAction,
  type PostPublished,
  type PostRejected,
  villageProjection,
} from './read-model/projection.js';
import { type PostRow, type RunRow, VillageQueries } from './read-model/queries.js';
import { buildMessages, fallbackPost, offlineContext } from './render/prompt.js';
import { buildRenderJob, type RenderJobPayload, renderIdempotencyKey, renderQueue } from './render/render-job.js';
import { hashSettings, loadSnapshot, type ReplayReport, replayRun, runIdFor, VillageRun, worldStreamId } from './world-runner.js';

export interface VillageServiceDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: EventStore;
  snapshots: SnapshotStore;
  queue: JobQueue;
  kv: KvStore;
  llm: LlmGateway;
  catalog?: LoadedCatalog;
  settings?: VillageSettings;
  metrics?: Metrics | undefined;
  /** Names this process in the world lease (host:pid by default). */
  owner?: string;
}

/** What the engine loop watches: written by the admin routes (and by autostart). */
export interface RunControl {
  seed: number;
  running: boolean;
  speed: number;
}

export interface VillageHooks {
  /** A post was published (live views). */
  onPost?(post: PostRow, service: VillageService): Promise<void> | void;
  /** The engine advanced (live clock). */
  onTick?(run: RunRow, service: VillageService): Promise<void> | void;
}

export type JobOutcome = 'published' | 'rejected' | 'duplicate';

export const controlKey = 'village.control';
const maxTicksPerStep = 96;

const stores = new WeakMap<EventStore, true>();

export class VillageService {
  readonly catalog: LoadedCatalog;
  readonly settings: VillageSettings;
  readonly index: CatalogIndex;
  readonly queries: VillageQueries;
  readonly hooks: VillageHooks = {};
  /** The run this process's engine loop is advancing, if any. */
  private active: VillageRun | undefined;
  private stateCache = new Map<string, { version: number; state: VillageState }>();

  constructor(readonly deps: VillageServiceDeps) {
    this.catalog = deps.catalog ?? loadCatalog();
    this.settings = deps.settings ?? defaultVillageSettings;
    this.index = buildCatalogIndex(this.catalog.catalog, this.settings);
    this.queries = new VillageQueries(deps.store.database);
    this.lease = new KvLease({
      kv: deps.kv,
      key: `village.lease.${this.catalog.catalog.world.id}`,
      owner: deps.owner ?? `${hostname()}:${process.pid}`,
      ttlMs: deps.config.village.lease_ms,
      clock: deps.clock,
    });
    if (!stores.has(deps.store)) {
      deps.store.addInlineProjection(villageProjection);
      stores.set(deps.store, true);
    }
  }

  get limits(): ChannelLimits {
    const village = this.deps.config.village;
    return { FEED: village.feed_max_chars, CHAT: village.chat_max_chars, NEWS: village.news_max_chars };
  }

  runIdFor(seed: number): string {
    return runIdFor(this.catalog.catalog.world.id, seed, this.catalog.hash, hashSettings(this.settings));
  }

  // ---------- run control ----------

  async control(): Promise<RunControl | undefined> {
    return (await this.deps.kv.get<RunControl>(controlKey))?.value;
  }

  /** The run public reads show: the one last started (or the configured seed's before any start). */
  async currentRunId(): Promise<string> {
    const control = await this.control();
    return this.runIdFor(control?.seed ?? this.deps.config.village.seed);
  }

  async currentRun(): Promise<RunRow | undefined> {
    return this.queries.getRun(await this.currentRunId());
  }

  /**
   * Writes the control flag with `change` over the previous one (defaults from config) and records the action on the
   * run's content stream with the fields in `recorded`.
   */
  private async changeControl(
    action: 'start' | 'stop' | 'speed',
    change: Partial<RunControl>,
    recorded: ReadonlyArray<keyof RunControl>,
  ): Promise<RunControl> {
    const previous = await this.control();
    const village = this.deps.config.village;
    const control: RunControl = {
      seed: change.seed ?? previous?.seed ?? village.seed,
      running: change.running ?? previous?.running ?? false,
      speed: change.speed ?? previous?.speed ?? village.speed,
    };
    await this.deps.kv.put(controlKey, control);
    const data = Object.fromEntries(recorded.map((field) => [field, control[field]]));
    await this.deps.store.append(contentStreamId(this.runIdFor(control.seed)), 'any', [{ type: 'run_control', data: { action, ...data } }]);
    return control;
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

  async replay(seed: number, fromSimTs: string | undefined): Promise<ReplayReport> {
    const runId = this.runIdFor(seed);
    if ((await this.deps.store.streamVersion(worldStreamId(runId))) === 0) throw new NotFoundError(`no village run with seed ${seed}`);
    return replayRun({
      catalog: this.catalog,
      settings: this.settings,
      persistence: { store: this.deps.store, snapshots: this.deps.snapshots },
      runId,
      ...(fromSimTs !== undefined ? { from: parseInstant(fromSimTs) } : {}),
    });
  }

  // ---------- engine ----------

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
    this.deps.metrics?.engineTicks.inc({ world: run.identity.world }, ticks);
    const row = await this.queries.getRun(run.identity.runId);
    if (row) await this.safely(() => this.hooks.onTick?.(row, this), 'tick hook');
    return run;
  }

  /** Render jobs of the ticks being advanced, built from the state right after each `render_requested`. */
  private pendingJobs: RenderJobPayload[] = [];

  private async enqueueRenders(jobs: readonly RenderJobPayload[]): Promise<number> {
    let enqueued = 0;
    for (const job of jobs) {
      const result = await this.deps.queue.enqueue(renderQueue, job, {
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
    let run: VillageRun | undefined;
    let lastHappening: Happening | undefined;
    const runId = this.runIdFor(seed);
    const replayedJobs: RenderJobPayload[] = [];
    // The render job of a `render_requested` is built from the state right after it: into `pendingJobs` for new
    // events, into `replayedJobs` for the ones a restore re-derives.
    const collect = (into: RenderJobPayload[], event: VillageEvent, state: VillageState) => {
      if (event.type === 'village_event') lastHappening = event.data;
      else if (event.type === 'render_requested' && lastHappening?.id === event.data.eventId)
        into.push(buildRenderJob(runId, this.index, state, lastHappening, event.data));
    };
    const onEvent = (event: VillageEvent) => {
      if (run) collect(this.pendingJobs, event, run.state);
    };
    const onReplayed = (event: VillageEvent, _version: number, state: VillageState) => collect(replayedJobs, event, state);
    run = await VillageRun.restore({
      catalog: this.catalog,
      seed,
      settings: this.settings,
      persistence: { store: this.deps.store, snapshots: this.deps.snapshots },
      onEvent,
      onReplayed,
      beforeSnapshot: async () => {
        await this.enqueueRenders(this.pendingJobs.splice(0));
      },
    });
    const redelivered = await this.enqueueRenders(replayedJobs);
    if (redelivered > 0)
      this.deps.logger.info({ runId, redelivered, version: run.version }, 'village engine: render jobs of restored events enqueued again');
    this.active = run;
    return run;
  }

  /** The engine's ownership lease of this world (one ticking engine per world across processes). */
  readonly lease: KvLease;

  /**
   * The engine loop: under the world's lease (one ticking engine across processes; the others stand by), watches the
   * control flag and advances the started run at its speed until the signal aborts, then releases the lease so a
   * standby takes over at once. Each new holding starts from the store: the newest snapshot and the log after it.
   */
  async runEngine(signal: AbortSignal): Promise<void> {
    const world = this.catalog.catalog.world.id;
    this.deps.metrics?.worldLeases.set({ world }, 0);
    await runUnderLease(this.lease, signal, (owned) => this.tickWhileOwned(owned), {
      logger: this.deps.logger,
      onChange: (held) => {
        this.active = undefined;
        this.deps.metrics?.worldLeases.set({ world }, held ? 1 : 0);
        if (!held) this.deps.metrics?.engineTickLag.set({ world }, 0);
      },
    });
  }

  private async tickWhileOwned(signal: AbortSignal): Promise<void> {
    const { clock, logger, metrics } = this.deps;
    const village = this.deps.config.village;
    const world = this.catalog.catalog.world.id;
    let last = clock.now();
    let carry = 0;
    while (!signal.aborted) {
      let pause = 200;
      try {
        let control = await this.control();
        if (!control && village.autostart) control = await this.start(village.seed);
        const now = clock.now();
        if (control?.running) {
          // Nights (settings nightFrom..nightTo) pass `night_speedup` times faster: the village sleeps and nothing is
          // written, so a fresh install reaches the first morning within seconds instead of half a minute.
          const interval = village.tick_ms / control.speed / (this.isNight() ? village.night_speedup : 1);
          carry += (now - last) / interval;
          metrics?.engineTickLag.set({ world }, (Math.max(0, carry - 1) * interval) / 1_000);
          if (carry > maxTicksPerStep) carry = maxTicksPerStep;
          const ticks = Math.floor(carry);
          if (ticks > 0 || this.active?.identity.seed !== control.seed) {
            carry -= ticks;
            await this.advance(control.seed, ticks);
          }
          pause = Math.max(10, Math.min(250, interval * (1 - carry)));
        } else {
          carry = 0;
          metrics?.engineTickLag.set({ world }, 0);
        }
        last = now;
      } catch (error) {
        if (signal.aborted) break;
        logger.error({ err: error }, 'village engine step failed; retrying');
        pause = 1_000;
      }
      await sleep(pause, signal).catch(() => undefined);
    }
  }

  /** True when the active run's next tick falls in the village's night hours. */
  private isNight(): boolean {
    const run = this.active;
    if (!run) return false;
    const { hour } = toLocalTime(tickInstant(run.index.clock, run.state.tick + 1));
    const { nightFrom, nightTo } = this.settings;
    return nightFrom > nightTo ? hour >= nightFrom || hour < nightTo : hour >= nightFrom && hour < nightTo;
  }

  // ---------- render workers ----------

  private workerOptions(): JobWorkerOptions<RenderJobPayload> {
    return {
      queue: this.deps.queue,
      name: renderQueue,
      logger: this.deps.logger,
      metrics: this.deps.metrics,
      handle: (job, signal) => this.render(job.payload, signal),
    };
  }

  /** Leases and renders jobs with `concurrency` loops until the signal aborts; in-flight jobs finish (or are released). */
  async runWorkers(signal: AbortSignal, concurrency = this.deps.config.village.render_workers): Promise<void> {
    await runJobWorker({ ...this.workerOptions(), concurrency }, signal);
  }

  /** Processes one leased job and acks or nacks it (the worker loop's step; tests drive it directly). */
  async handle(job: LeasedJob<RenderJobPayload>, signal?: AbortSignal): Promise<JobOutcome | 'failed'> {
    return (await settleJob(this.workerOptions(), job, signal)).outcome as JobOutcome | 'failed';
  }

  /** Writes the post of one job: idempotent (an existing post for the job's key is left as it is). */
  async render(job: RenderJobPayload, signal?: AbortSignal): Promise<JobOutcome> {
    const { llm, store } = this.deps;
    if (await this.queries.findPost(job.runId, job.source_event_id, job.channel, job.author_id)) return 'duplicate';
    const result = await llm.generateObject('writer', generatedPostSchema, buildMessages(job), {
      cacheKey: renderIdempotencyKey(job.runId, job.source_event_id, job.channel, job.author_id),
      fallback: () => fallbackPost(job),
      context: offlineContext(job),
      ...(signal ? { signal } : {}),
    });
    const post = result.object;
    const problems = boundaryProblems(
      post,
      { channel: job.channel, authorId: job.author_id, sourceEventId: job.source_event_id },
      this.limits,
    );
    if (problems.length === 0) {
      const verdict = await llm.moderate(post.text, signal ? { signal } : {});
      if (!verdict.allowed) problems.push(...verdict.reasons.map((reason) => `moderation: ${reason}`));
    }
    const data: PostPublished = {
      runId: job.runId,
      channel: job.channel,
      authorId: job.author_id,
      sourceEventId: job.source_event_id,
      tone: post.tone,
      text: post.text,
      tags: post.tags,
      safetyNotes: post.safety_notes ?? null,
      model: result.model,
      fellBack: result.fellBack,
      simTime: job.sim_time,
      place: job.prompt_context.event.place.id,
    };
    try {
      if (problems.length > 0) {
        const rejected: PostRejected = { ...data, reasons: problems };
        await store.append(contentStreamId(job.runId), 'any', [{ type: 'post_rejected', data: rejected }]);
        return 'rejected';
      }
      await store.append(contentStreamId(job.runId), 'any', [{ type: 'post_published', data }]);
    } catch (error) {
      // The unique (run, source event, channel, author) key: another delivery of this job got there first.
      if (
        error instanceof VersionConflictError &&
        (await this.queries.findPost(job.runId, job.source_event_id, job.channel, job.author_id))
      )
        return 'duplicate';
      throw error;
    }
    const row = await this.queries.findPost(job.runId, job.source_event_id, job.channel, job.author_id);
    if (row) await this.safely(() => this.hooks.onPost?.(row, this), 'post hook');
    return 'published';
  }

  // ---------- moderation ----------

  async moderate(action: 'flag' | 'hide' | 'restore', postId: number, reason: string | null): Promise<PostRow> {
    const post = await this.queries.getPost(postId);
    if (!post) throw new NotFoundError(`no post ${postId}`);
    const data: ModerationAction = { postId, reason, by: 'admin' };
    const type = action === 'flag' ? 'post_flagged' : action === 'hide' ? 'post_hidden' : 'post_restored';
    await this.deps.store.append(contentStreamId(post.runId), 'any', [{ type, data }]);
    const updated = await this.queries.getPost(postId);
    if (!updated) throw new NotFoundError(`no post ${postId}`);
    return updated;
  }

  // ---------- reads ----------

  /** The engine state of a run at its stream head: the newest snapshot with the later events folded in. */
  async runState(runId: string): Promise<VillageState | undefined> {
    const streamId = worldStreamId(runId);
    let cached = this.stateCache.get(runId);
    if (!cached) {
      const found = await loadSnapshot(this.deps.snapshots, streamId);
      if (found) cached = { version: found.version, state: found.snapshot.state };
      else {
        if ((await this.deps.store.streamVersion(streamId)) === 0) return undefined;
        cached = { version: 0, state: createInitialState(this.catalog.catalog, this.settings) };
      }
    }
    for (;;) {
      const events = await this.deps.store.readStream(streamId, { fromVersion: cached.version + 1, limit: 2_000 });
      for (const event of events) {
        cached.state = evolve(cached.state, { type: event.type, data: event.data } as VillageEvent);
        cached.version = event.version;
      }
      if (events.length < 2_000) break;
    }
    this.stateCache.set(runId, cached);
    return cached.state;
  }

  npcName(id: string): string {
    return this.index.npcs[this.index.npcIndex.get(id) ?? -1]?.name ?? id;
  }

  placeName(id: string | null): string {
    if (id === null) return '';
    return this.index.places.get(id)?.name ?? id;
  }

  async writerDescription(): Promise<{ model: string; offline: boolean }> {
    const description = this.deps.llm.describe('writer');
    return { model: description.model, offline: description.offline };
  }

  private async safely(action: () => Promise<void> | void | undefined, label: string): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.deps.logger.warn({ err: error }, `village: ${label} failed`);
    }
  }
}
