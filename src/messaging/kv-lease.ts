/**
 * An ownership lease in the key-value store: at most one holder at a time, kept alive by heartbeats (compare-and-set
 * of the holder's revision with a fresh TTL) and taken over by anyone once the holder stops renewing for `ttlMs`.
 *
 * A lease alone does not fence a holder that stalls past its TTL (a long GC pause, a frozen VM): work guarded by a
 * lease must also be safe to attempt twice. The village engine's appends carry the expected stream version, so a stale
 * holder's write is rejected whole. `isHeld` answers conservatively: false once two thirds of the TTL have passed
 * without a successful renewal, so a holder stops before anyone else may start.
 */

import { type Clock, systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { sleep } from '../core/sleep.js';
import type { KvStore } from './ports.js';

export interface KvLeaseOptions {
  kv: KvStore;
  key: string;
  /** Who holds it (process id, host); stored in the value for operators. */
  owner: string;
  ttlMs: number;
  clock?: Clock;
}

export interface LeaseHolder {
  owner: string;
  acquiredAt: number;
  renewedAt: number;
}

export class KvLease {
  private revision: number | undefined;
  private acquiredAt = 0;
  private renewedAt = 0;
  private readonly clock: Clock;

  constructor(private readonly options: KvLeaseOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError(`lease ttlMs must be positive, got ${options.ttlMs}`);
    this.clock = options.clock ?? systemClock;
  }

  get key(): string {
    return this.options.key;
  }

  get owner(): string {
    return this.options.owner;
  }

  get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** True while the last renewal is recent enough that no one else can have taken the lease. */
  isHeld(): boolean {
    return this.revision !== undefined && this.clock.now() - this.renewedAt < (this.options.ttlMs * 2) / 3;
  }

  /** A heartbeat is due (a third of the TTL since the last renewal). */
  renewalDue(): boolean {
    return this.clock.now() - this.renewedAt >= this.options.ttlMs / 3;
  }

  /**
   * Takes the lease if it is free or expired, or renews it if this instance holds it. Returns whether it is held now.
   * Errors from the store (unreachable) propagate; the lease counts as held only until `isHeld` says otherwise.
   */
  async acquire(): Promise<boolean> {
    const now = this.clock.now();
    const expected = this.revision ?? null;
    const value: LeaseHolder = {
      owner: this.options.owner,
      acquiredAt: this.revision === undefined ? now : this.acquiredAt,
      renewedAt: now,
    };
    const revision = await this.options.kv.compareAndSet(this.options.key, expected, value, { ttlMs: this.options.ttlMs });
    if (revision === undefined) {
      this.revision = undefined;
      // Our revision was replaced (we lost it) but the key may be free again: one more try from scratch.
      if (expected !== null) return this.acquire();
      return false;
    }
    if (this.revision === undefined) this.acquiredAt = now;
    this.revision = revision;
    this.renewedAt = now;
    return true;
  }

  /** Gives the lease up at once (if still ours), so a standby takes over without waiting out the TTL. */
  async release(): Promise<void> {
    const revision = this.revision;
    this.revision = undefined;
    if (revision === undefined) return;
    const value: LeaseHolder = { owner: this.options.owner, acquiredAt: this.acquiredAt, renewedAt: this.clock.now() };
    // A 1 ms TTL: the entry reads as absent almost at once; compare-and-set keeps a lease someone else took intact.
    await this.options.kv.compareAndSet(this.options.key, revision, value, { ttlMs: 1 });
  }

  /** Who holds the lease now, if anyone. */
  async holder(): Promise<LeaseHolder | undefined> {
    return (await this.options.kv.get<LeaseHolder>(this.options.key))?.value;
  }
}

export interface RunUnderLeaseOptions {
  logger: Logger;
  /** Told when this process starts (true) and stops (false) holding the lease. */
  onChange?: (held: boolean) => void;
}

/**
 * Runs `work` only while holding `lease`, until `signal` aborts: stands by while someone else holds it, heartbeats
 * every third of the TTL while the work runs, aborts the work's signal when the lease is lost, and releases the lease
 * when stopping so a standby takes over at once. Work that ends or fails on its own is started again after a pause.
 */
export async function runUnderLease(
  lease: KvLease,
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<void>,
  options: RunUnderLeaseOptions,
): Promise<void> {
  const { logger } = options;
  const fields = { lease: lease.key, owner: lease.owner };
  const standbyMs = Math.min(1_000, lease.ttlMs / 4);
  while (!signal.aborted) {
    let held = false;
    try {
      held = await lease.acquire();
    } catch (error) {
      logger.warn({ ...fields, error: (error as Error).message }, 'lease: the key-value store did not answer; retrying');
    }
    if (!held) {
      await sleep(standbyMs, signal).catch(() => undefined);
      continue;
    }
    logger.info(fields, 'lease acquired');
    options.onChange?.(true);
    const owned = new AbortController();
    const stop = () => owned.abort();
    signal.addEventListener('abort', stop, { once: true });
    const running = work(owned.signal)
      .catch((error: unknown) => logger.error({ ...fields, err: error }, 'lease: the work under the lease failed'))
      .finally(stop);
    while (!owned.signal.aborted) {
      await sleep(lease.ttlMs / 3, owned.signal).catch(() => undefined);
      if (owned.signal.aborted) break;
      try {
        if (!(await lease.acquire())) stop();
      } catch (error) {
        logger.warn({ ...fields, error: (error as Error).message }, 'lease: heartbeat failed');
        if (!lease.isHeld()) stop();
      }
      if (owned.signal.aborted && !signal.aborted) logger.warn(fields, 'lease lost; standing by');
    }
    await running;
    signal.removeEventListener('abort', stop);
    options.onChange?.(false);
    await lease.release().catch((error: unknown) => logger.warn({ ...fields, error: (error as Error).message }, 'lease: release failed'));
    if (!signal.aborted) await sleep(standbyMs, signal).catch(() => undefined);
  }
}
