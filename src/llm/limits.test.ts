import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { LlmError, parseRetryAfter } from './errors.js';
import { backoffDelay, RateLimiter, Semaphore } from './limits.js';

describe('Semaphore', () => {
  it('admits up to its limit and hands slots to waiters in order', async () => {
    const semaphore = new Semaphore(2);
    const first = await semaphore.acquire();
    await semaphore.acquire();
    const order: number[] = [];
    const third = semaphore.acquire().then((release) => {
      order.push(3);
      return release;
    });
    const fourth = semaphore.acquire().then(() => order.push(4));
    expect(semaphore.inFlight).toBe(2);
    expect(semaphore.waiting).toBe(2);
    first();
    first(); // a second release of the same slot changes nothing
    (await third)();
    await fourth;
    expect(order).toEqual([3, 4]);
    expect(semaphore.inFlight).toBe(2);
  });

  it('drops an aborted waiter with llm_aborted', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'llm_aborted' });
    expect(semaphore.waiting).toBe(0);
  });
});

describe('RateLimiter', () => {
  it('lets `perMinute` requests start per sliding minute and waits for the oldest to age out', async () => {
    const clock = new ManualClock(0);
    const waits: number[] = [];
    const limiter = new RateLimiter(2, clock, async (milliseconds) => {
      waits.push(milliseconds);
      clock.advance(milliseconds);
    });
    await limiter.acquire();
    clock.advance(10_000);
    await limiter.acquire();
    await limiter.acquire();
    expect(waits).toEqual([50_000]);
    expect(clock.now()).toBe(60_000);
  });

  it('does nothing when unlimited', async () => {
    let waits = 0;
    const limiter = new RateLimiter(0, new ManualClock(0), async () => {
      waits++;
    });
    for (let index = 0; index < 100; index++) await limiter.acquire();
    expect(waits).toBe(0);
  });
});

describe('backoff and Retry-After', () => {
  it('grows exponentially with jitter and respects the cap', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 10_000, () => 0.999_999)).toBe(100);
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(600);
    expect(backoffDelay(20, 100, 10_000, () => 1)).toBe(10_000);
  });

  it('reads delta seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter({ 'Retry-After': '2' }, now)).toBe(2_000);
    expect(parseRetryAfter({ 'retry-after': 'Sun, 22 Nov 2026 10:00:05 GMT' }, now)).toBe(5_000);
    expect(parseRetryAfter({ 'retry-after-ms': '150', 'retry-after': '9' }, now)).toBe(150);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('marks only rate limiting and outages as retryable by default', () => {
    expect(new LlmError('llm_rate_limited', 'x').retryable).toBe(true);
    expect(new LlmError('llm_unavailable', 'x').retryable).toBe(true);
    expect(new LlmError('llm_unavailable', 'x', { retryable: false }).retryable).toBe(false);
    expect(new LlmError('llm_auth', 'x').retryable).toBe(false);
    expect(new LlmError('llm_timeout', 'x').retryable).toBe(false);
    expect(new LlmError('llm_rate_limited', 'x', { retryAfterMs: 5, statusCode: 429 }).details).toEqual({
      statusCode: 429,
      retryAfterMs: 5,
    });
  });
});

describe('Semaphore.setLimit', () => {
  it('lets waiters in at once when raised, and holds new ones back after a cut until releases bring it under', async () => {
    const semaphore = new Semaphore(1);
    const first = await semaphore.acquire();
    const granted: number[] = [];
    const second = semaphore.acquire().then((release) => {
      granted.push(2);
      return release;
    });
    const third = semaphore.acquire().then((release) => {
      granted.push(3);
      return release;
    });
    semaphore.setLimit(3);
    const [releaseSecond, releaseThird] = await Promise.all([second, third]);
    expect(granted).toEqual([2, 3]);
    expect(semaphore.inFlight).toBe(3);

    semaphore.setLimit(1);
    let fourthGranted = false;
    const fourth = semaphore.acquire().then((release) => {
      fourthGranted = true;
      return release;
    });
    first();
    releaseSecond();
    await Promise.resolve();
    expect(fourthGranted).toBe(false);
    expect(semaphore.inFlight).toBe(1);
    releaseThird();
    (await fourth)();
    expect(fourthGranted).toBe(true);
    expect(semaphore.inFlight).toBe(0);
  });
});
