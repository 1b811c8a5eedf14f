import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('given the same seed, when drawing, then the sequences are identical', () => {
    const first = Rng.fromSeed(7);
    const second = Rng.fromSeed(7);
    const draw = (rng: Rng) => Array.from({ length: 20 }, () => rng.int(0, 1000));
    expect(draw(first)).toEqual(draw(second));
  });

  it('given a saved state, when restored, then it continues exactly where the original left off', () => {
    const original = Rng.fromSeed(42);
    for (let index = 0; index < 5; index++) original.float();
    const restored = Rng.fromState(original.state());
    expect(Array.from({ length: 10 }, () => restored.float())).toEqual(Array.from({ length: 10 }, () => original.float()));
  });

  it('given different seeds, then the sequences differ', () => {
    const a = Array.from(
      { length: 10 },
      (
        (rng) => () =>
          rng.int(0, 1_000_000)
      )(Rng.fromSeed(1)),
    );
    const b = Array.from(
      { length: 10 },
      (
        (rng) => () =>
          rng.int(0, 1_000_000)
      )(Rng.fromSeed(2)),
    );
    expect(a).not.toEqual(b);
  });

  it('draws weighted indexes only where the weight is positive', () => {
    const rng = Rng.fromSeed(3);
    const seen = new Set<number>();
    for (let index = 0; index < 200; index++) seen.add(rng.weightedIndex([0, 1, 0, 3]));
    expect([...seen].sort()).toEqual([1, 3]);
    expect(rng.weightedIndex([0, 0])).toBe(-1);
  });
});
