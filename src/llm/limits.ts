/**
 * Per-backend limits: a FIFO semaphore for in-flight calls (= the backend's parallel slots), a sliding-window
 * requests-per-minute limiter, and jittered exponential backoff. Waits are abortable.
 */
import type { Clock } from '../core/clock.js';
import { sleep } from '../core/sleep.js';
import { abortError } from './errors.js';

/** Waits `milliseconds`, or rejects with the abort error when `signal` fires first. */
export type Sleep = (milliseconds: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (milliseconds, signal) =>
  sleep(milliseconds, signal).catch(() => {
    throw abortError(signal);
  });

export type Release = () => void;

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ grant: (release: Release) => void; signal: AbortSignal | undefined; onAbort: () => void }> = [];

  constructor(private slots: number) {}

  get limit(): number {
    return this.slots;
  }

  /** Changes the limit (the backend told its slot count); a raise lets waiters in at once, a cut waits for releases. */
  setLimit(limit: number): void {
    this.slots = Math.max(1, limit);
    while (this.active < this.slots && this.waiters.length > 0) {
      const next = this.waiters.shift();
      if (next === undefined) break;
      next.signal?.removeEventListener('abort', next.onAbort);
      this.active++;
      next.grant(this.releaser());
    }
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: resolve,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index !== -1) this.waiters.splice(index, 1);
          reject(abortError(signal));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // After a cut of the limit, releases only shrink `active` until it is back under the limit.
      const next = this.active > this.slots ? undefined : this.waiters.shift();
      if (next === undefined) {
        this.active--;
        return;
      }
      // The slot passes straight to the next waiter, so `active` does not change.
      next.signal?.removeEventListener('abort', next.onAbort);
      next.grant(this.releaser());
    };
  }
}

/** At most `perMinute` starts in any 60-second window; 0 = unlimited. */
export class RateLimiter {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
  ) {}

  /** Resolves when a request may start, and counts it. Callers are served in order. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.perMinute <= 0) return Promise.resolve();
    const turn = this.queue.then(() => this.take(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.starts.length > 0 && (this.starts[0] ?? 0) <= now - 60_000) this.starts.shift();
      if (this.starts.length < this.perMinute) {
        this.starts.push(now);
        return;
      }
      await this.sleep((this.starts[0] ?? now) + 60_000 - now, signal);
    }
  }
}

/** Exponential backoff with "equal jitter": a random wait in [base * 2^attempt / 2, base * 2^attempt], capped. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
