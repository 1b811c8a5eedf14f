/**
 * The one worker loop every product's job consumer runs: lease, handle, ack or nack, with the graceful-stop rules of a
 * worker process. When the stop signal fires, no new job is leased; jobs leased but not started go back at once; a job
 * in progress gets `graceMs` to finish before its own signal aborts it, and is then released for another worker.
 * Delivery stays at-least-once, so handlers must be idempotent.
 */

import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { sleep } from '../core/sleep.js';
import type { JobQueue, LeasedJob } from './ports.js';

export interface JobWorkerOptions<Payload> {
  queue: JobQueue;
  /** The queue's name. */
  name: string;
  /** Does the job's work; resolves with an outcome label (logged and used as the metric's outcome) or throws. */
  handle(job: LeasedJob<Payload>, signal: AbortSignal): Promise<string | undefined>;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** Parallel lease loops. Default 1. */
  concurrency?: number;
  /** Jobs per lease. Default 1. */
  batch?: number;
  leaseMs?: number;
  /** How long a lease call waits for a job. Default 500 ms. */
  waitMs?: number;
  /** How long a job in progress may run on after the stop signal. Default 5 s. */
  graceMs?: number;
}

export type JobResult = { outcome: string } | { outcome: 'failed'; error: string };

/** Runs the loops until `signal` aborts and every job in progress is settled. */
export async function runJobWorker<Payload>(options: JobWorkerOptions<Payload>, signal: AbortSignal): Promise<void> {
  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => leaseLoop(options, signal));
  await Promise.all(loops);
}

async function leaseLoop<Payload>(options: JobWorkerOptions<Payload>, signal: AbortSignal): Promise<void> {
  const { queue, name, logger } = options;
  while (!signal.aborted) {
    let jobs: LeasedJob<Payload>[];
    try {
      jobs = await queue.lease<Payload>(name, {
        limit: options.batch ?? 1,
        waitMs: options.waitMs ?? 500,
        ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
      });
    } catch (error) {
      if (signal.aborted) break;
      logger.warn({ queue: name, error: (error as Error).message }, 'job worker: lease failed; retrying');
      await sleep(1_000, signal).catch(() => undefined);
      continue;
    }
    await Promise.all(jobs.map((job) => settleJob(options, job, signal)));
  }
}

/** Handles one leased job and acks or nacks it; a job not yet started when the worker stops is released at once. */
export async function settleJob<Payload>(
  options: JobWorkerOptions<Payload>,
  job: LeasedJob<Payload>,
  stop?: AbortSignal,
): Promise<JobResult> {
  const { queue, name, logger } = options;
  const fields = { queue: name, jobId: job.id, key: job.idempotencyKey, attempt: job.attempt };
  if (stop?.aborted) {
    await queue.nack(job, 'worker stopping', { retryInMs: 0 }).catch(() => undefined);
    logger.info({ ...fields, outcome: 'released' }, 'job released');
    return { outcome: 'released' };
  }
  const done = options.metrics?.timeJob(name);
  const jobAbort = new AbortController();
  const onStop = () => setTimeout(() => jobAbort.abort(new Error('worker stopped')), options.graceMs ?? 5_000).unref();
  stop?.addEventListener('abort', onStop, { once: true });
  try {
    const outcome = (await options.handle(job, jobAbort.signal)) ?? 'done';
    const acknowledged = await queue.ack(job);
    done?.(acknowledged ? outcome : 'stale');
    logger.info({ ...fields, outcome, acknowledged }, 'job done');
    return { outcome };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const result = await queue.nack(job, message, jobAbort.signal.aborted ? { retryInMs: 0 } : {}).catch(() => 'stale');
    done?.('failed');
    logger.warn({ ...fields, outcome: 'failed', next: result, error: message }, 'job failed');
    return { outcome: 'failed', error: message };
  } finally {
    stop?.removeEventListener('abort', onStop);
  }
}
