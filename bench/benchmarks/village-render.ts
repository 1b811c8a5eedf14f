/**
 * village-render: posts per minute through the real render workers (`VillageService.runWorkers`: lease -> prompt ->
 * `generateObject('writer')` -> boundary checks -> moderation (blocklist) -> append with the inline projection -> live
 * fragment on the bus -> ack) against the simulated backend with S=8 slots in its own process, as a percentage of the
 * backend's theoretical maximum for the requests it served. Wired as `koivulahti start` wires it (`openRuntime` on a
 * SQLite file: embedded queue, gateway cache and call log in the same database), `village.render_workers = 8`,
 * `llm.concurrency = 8`, json_schema structured outputs.
 *
 * The jobs are the engine's own: the default catalog is advanced with `VillageService.advance` until enough
 * `render_requested` events have been enqueued. Then:
 * 1. cold: every job is a cache miss; end to end and steady state (backend utilisation until the last job was sent);
 * 2. cache hits: the same jobs again after the posts are removed from the read model, so every `generateObject` is
 *    answered from the gateway's cache, against the backend's theoretical maximum.
 *
 * The simulated backend copies `author_id="..."`-style values the prompt spells out into the JSON answer (see
 * bench/llm-backend/content.ts `promptHints`), so posts pass the engine-boundary checks as a following model's would.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { parseConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import type { EnqueueOptions, JobQueue } from '../../src/messaging/index.js';
import { openRuntime } from '../../src/runtime.js';
import { type RenderJobPayload, renderQueue, villageServiceFor } from '../../src/village/index.js';
import { renderProfile } from '../lib/gateway.js';
import { round } from '../lib/measure.js';
import { type BenchContext, type Benchmark, row } from '../lib/types.js';
import { type BackendProcess, startBackendProcess } from '../llm-backend/process.js';
import type { BackendStats } from '../llm-backend/server.js';

const seed = 7;
const workers = 8;

/** A JobQueue that remembers what was enqueued on the render queue (the bench replays those jobs for cache hits). */
function recordingQueue(queue: JobQueue, recorded: RenderJobPayload[]): JobQueue {
  return {
    enqueue(name: string, payload: unknown, options?: EnqueueOptions) {
      if (name === renderQueue) recorded.push(payload as RenderJobPayload);
      return queue.enqueue(name, payload, options);
    },
    lease: (name, options) => queue.lease(name, options),
    ack: (job) => queue.ack(job),
    nack: (job, error, options) => queue.nack(job, error, options),
    deadLetters: (name, options) => queue.deadLetters(name, options),
    requeueDead: (name, id) => queue.requeueDead(name, id),
    depth: (name) => queue.depth(name),
    close: () => queue.close(),
  };
}

interface Phase {
  jobs: number;
  seconds: number;
  stats: BackendStats;
  /** Backend figures when the last job had been sent to it (every slot could be fed until then). */
  saturated: BackendStats | undefined;
  saturatedSeconds: number;
  outcomes: { published: number; rejected: number; failed: number };
}

async function runVillage(context: BenchContext, backend: BackendProcess, directory: string, target: number) {
  const config = parseConfig({
    fileText: [
      '[database]',
      `sqlite_path = "${join(directory, 'village-render.db')}"`,
      '[village]',
      'autostart = false',
      `render_workers = ${workers}`,
      '[llm]',
      'provider = "openai-compatible"',
      `base_url = "${backend.url}"`,
      'model = "bench-model"',
      'structured_outputs = "json_schema"',
      `concurrency = ${renderProfile.slots}`,
      'timeout_ms = 600000',
      'max_retries = 0',
      'cache = "on"',
    ].join('\n'),
    environment: {},
  });
  const runtime = await openRuntime(config, silentLogger);
  const recorded: RenderJobPayload[] = [];
  const services = {
    ...runtime.services(),
    messaging: { ...runtime.messaging, queue: recordingQueue(runtime.messaging.queue, recorded) },
  };
  const service = villageServiceFor(services);
  const queue = services.messaging.queue;
  const runId = service.world.runIdFor(seed);
  const counts = async () => {
    const rows = (
      await sql<{ status: string; count: number }>`
      select status, count(*) as count from village_posts where run_id = ${runId} group by status`.execute(runtime.database.db)
    ).rows;
    const visible = Number(rows.find((entry) => entry.status === 'visible')?.count ?? 0);
    const rejected = Number(rows.find((entry) => entry.status === 'rejected')?.count ?? 0);
    return { published: visible, rejected };
  };
  const advanceUntil = async (jobs: number) => {
    for (let step = 0; step < 200 && (await queue.depth(renderQueue)).ready < jobs; step++) await service.engine.advance(seed, 8);
    return (await queue.depth(renderQueue)).ready;
  };

  /** Starts the workers, waits for the queue to empty (bounded), stops them. */
  const drain = async (label: string, jobs: number, timeoutMs: number): Promise<Phase> => {
    await backend.reset();
    const before = await counts();
    const controller = new AbortController();
    const started = performance.now();
    const running = service.renders.run(controller.signal, workers);
    let saturated: BackendStats | undefined;
    let saturatedAt = started;
    try {
      for (;;) {
        await sleep(25);
        const depth = await queue.depth(renderQueue);
        if (saturated === undefined) {
          const stats = await backend.stats();
          if (depth.ready === 0 || stats.requests >= jobs) {
            saturated = stats;
            saturatedAt = performance.now();
          }
        }
        if (depth.ready === 0 && depth.leased === 0) break;
        if (performance.now() - started > timeoutMs)
          throw new Error(`${label}: the render queue did not empty within ${timeoutMs / 1000} s`);
      }
    } finally {
      controller.abort();
      await running;
    }
    const seconds = (performance.now() - started) / 1000;
    const stats = await backend.stats();
    const after = await counts();
    const dead = (await queue.depth(renderQueue)).dead;
    return {
      jobs,
      seconds,
      stats,
      saturated,
      saturatedSeconds: (saturatedAt - started) / 1000,
      outcomes: { published: after.published - before.published, rejected: after.rejected - before.rejected, failed: dead },
    };
  };

  try {
    // Warm-up: one round of jobs through the workers (AI SDK, prepared statements, slots' prefix caches).
    const warm = await advanceUntil(workers);
    context.log(`warm-up: ${warm} render jobs`);
    await drain('warm-up', warm, 120_000);
    recorded.length = 0;
    const jobs = await advanceUntil(target);
    context.log(`cold: ${jobs} render jobs from the engine (seed ${seed}) through ${workers} workers, S=${renderProfile.slots}`);
    const cold = await drain('cold', jobs, 300_000);

    // The same jobs again: the posts leave the read model so the workers do not skip them; the gateway cache answers.
    const replay = recorded.slice();
    await sql`delete from village_posts where run_id = ${runId}`.execute(runtime.database.db);
    for (const [index, job] of replay.entries())
      await queue.enqueue(renderQueue, job, {
        idempotencyKey: `bench-replay-${index}-${job.source_event_id}-${job.channel}-${job.author_id}`,
      });
    context.log(`cache hits: the same ${replay.length} jobs again`);
    const hits = await drain('cache hits', replay.length, 120_000);
    return { cold, hits, runId };
  } finally {
    await runtime.close();
  }
}

export const villageRenderBenchmark: Benchmark = {
  name: 'village-render',
  title: 'Village render workers: posts per minute against the simulated backend with S=8; cache-hit throughput',
  reference: "the simulated backend's theoretical maximum for the requests it served, S x 60,000 / mean service ms",
  async run(context) {
    const target = context.quick ? 24 : 120;
    const directory = mkdtempSync(join(tmpdir(), 'koivulahti-bench-render-'));
    const backend = await startBackendProcess(renderProfile);
    try {
      const { cold, hits } = await runVillage(context, backend, directory, target);
      const maxPerMinute = cold.stats.theoreticalMaxPerMinute ?? Number.NaN;
      const posts = (phase: Phase) => phase.outcomes.published + phase.outcomes.rejected;
      const perMinute = (posts(cold) * 60) / cold.seconds;
      const steady = cold.saturated?.utilisation ?? Number.NaN;
      const hitsPerMinute = (posts(hits) * 60) / hits.seconds;
      const unit = 'posts/min';
      const outcomes = (phase: Phase) => ({ ...phase.outcomes, jobs: phase.jobs, seconds: round(phase.seconds) });
      return {
        parameters: {
          renderProfile,
          workers,
          seed,
          jobs: cold.jobs,
          catalog: 'default (src/village/catalog/koivulahti)',
          gateway:
            'openai-compatible (AI SDK), json_schema, concurrency 8, cache on, cache and call log in the same SQLite file as the store',
          database: 'SQLite file (WAL) in the temp directory, opened by openRuntime like `koivulahti start`',
        },
        rows: [
          row(
            `render workers, S=8, ${cold.jobs} engine jobs, end to end`,
            { value: round(perMinute), unit },
            { label: 'backend theoretical max for the requests served', value: round(maxPerMinute), unit },
            'of the backend maximum',
            {
              ratio: perMinute / maxPerMinute,
              details: {
                ...outcomes(cold),
                utilisationEndToEnd: round(cold.stats.utilisation),
                meanServiceMs: round(cold.stats.completedServiceMs / Math.max(1, cold.stats.completed)),
                backendRequests: cold.stats.requests,
                promptTokens: cold.stats.promptTokens,
                cachedPromptTokens: cold.stats.cachedPromptTokens,
                completionTokens: cold.stats.completionTokens,
                backendMaxQueued: cold.stats.maxQueued,
              },
            },
          ),
          row(
            'same, steady state (until the last job was sent)',
            { value: round(steady * maxPerMinute), unit },
            { label: 'backend theoretical max', value: round(maxPerMinute), unit },
            'of the backend maximum',
            {
              ratio: steady,
              target: { text: 'render pipeline >= 95 % of max', measured: round(steady * 100), met: steady >= 0.95 },
              details: { saturatedSeconds: round(cold.saturatedSeconds), backendUtilisation: round(steady) },
            },
          ),
          row(
            `cache hits through the render workers, ${hits.jobs} jobs`,
            { value: round(hitsPerMinute), unit },
            { label: 'backend theoretical max (cold)', value: round(maxPerMinute), unit },
            'x the backend maximum',
            { details: { ...outcomes(hits), backendRequestsDuringReplay: hits.stats.requests } },
          ),
        ],
        notes: [
          'The backend runs in its own process (bench/llm-backend); the workers, queue, gateway and store share this one.',
          `Cold: ${cold.outcomes.published} published, ${cold.outcomes.rejected} rejected at the boundary, ${cold.outcomes.failed} dead-lettered. Cache hits: ${hits.outcomes.published} published, ${hits.stats.requests} backend requests.`,
          'The steady-state row is the backend utilisation from the start until the last job had been sent to it: the share of slot time the pipeline kept busy. The end-to-end row adds the ramp-down, when fewer jobs than slots are left.',
          'Gateway overhead per call against a direct backend call is measured by llm-gateway (same gateway, same backend).',
        ],
      };
    } finally {
      await backend.close();
      rmSync(directory, { recursive: true, force: true });
    }
  },
};
