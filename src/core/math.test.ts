import { describe, expect, it } from 'vitest';
import { clamp } from './math.js';
import { sleep } from './sleep.js';

describe('clamp', () => {
  it('limits to the unit interval by default and to the given bounds otherwise', () => {
    expect([clamp(-0.5), clamp(0.25), clamp(3)]).toEqual([0, 0.25, 1]);
    expect([clamp(-5, -1, 1), clamp(150, 0, 100), clamp(42, 0, 100)]).toEqual([-1, 100, 42]);
  });
});

describe('sleep', () => {
  it('resolves after the wait when nothing aborts', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it("rejects with the signal's reason on abort, also when the signal had already fired", async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(sleep(60_000, controller.signal)).rejects.toBe(reason);
    await expect(sleep(60_000, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});
