/** Settings every job queue adapter shares (they mirror the `[queue]` section of the config) and the retry backoff. */
import { type Clock, systemClock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';
import type { EnqueueOptions, LeaseOptions } from './ports.js';

export interface JobQueueSettings {
  /** Deliveries per job before it is dead-lettered (per-job override: `EnqueueOptions.maxAttempts`). */
  maxAttempts: number;
  /** Default lease length. */
  leaseMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface JobQueueOptions extends Partial<JobQueueSettings> {
  clock?: Clock;
  logger?: Logger;
  /** A number in [0, 1) for the backoff jitter; injectable for tests. */
  random?: () => number;
}

/** `lastError` of a job dead-lettered because its final lease ran out without an ack or nack. */
export const leaseExpiredError = 'lease expired on the last attempt (the worker vanished)';

export const defaultJobQueueSettings: JobQueueSettings = {
  maxAttempts: 5,
  leaseMs: 30_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 300_000,
};

export interface ResolvedJobQueueOptions extends JobQueueSettings {
  clock: Clock;
  logger: Logger;
  random: () => number;
}

export function resolveJobQueueOptions(options: JobQueueOptions): ResolvedJobQueueOptions {
  return {
    maxAttempts: options.maxAttempts ?? defaultJobQueueSettings.maxAttempts,
    leaseMs: options.leaseMs ?? defaultJobQueueSettings.leaseMs,
    backoffBaseMs: options.backoffBaseMs ?? defaultJobQueueSettings.backoffBaseMs,
    backoffMaxMs: options.backoffMaxMs ?? defaultJobQueueSettings.backoffMaxMs,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    random: options.random ?? Math.random,
  };
}

/**
 * Delay before the next attempt after attempt `attempt` (1-based) failed: exponential with "equal jitter" — half
 * fixed, half random — so retries spread out but never collapse to zero.
 */
export function retryDelay(attempt: number, settings: Pick<ResolvedJobQueueOptions, 'backoffBaseMs' | 'backoffMaxMs' | 'random'>): number {
  const exponential = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (settings.random() * exponential) / 2);
}

/** Rejects enqueue options no adapter can honour. */
export function assertEnqueueOptions(options: EnqueueOptions, maxAttempts: number): void {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new ValidationError('maxAttempts must be a positive integer', { maxAttempts });
  if (options.delayMs !== undefined && !(options.delayMs >= 0))
    throw new ValidationError('delayMs must not be negative', { delayMs: options.delayMs });
  if (options.idempotencyKey !== undefined && options.idempotencyKey.length === 0)
    throw new ValidationError('idempotencyKey must not be empty');
}

/** The `limit` of a lease call, validated (default 1). */
export function leaseLimit(options: LeaseOptions): number {
  const limit = options.limit ?? 1;
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('lease limit must be a positive integer', { limit });
  return limit;
}
