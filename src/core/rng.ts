/**
 * Seeded randomness for deterministic domain code: xoroshiro128+ from pure-rand with a state that can be
 * saved in a snapshot and restored, so a resumed run draws exactly what an uninterrupted one would.
 */
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';

export type RngState = readonly number[];

export class Rng {
  private generator: ReturnType<typeof xoroshiro128plus>;

  private constructor(generator: ReturnType<typeof xoroshiro128plus>) {
    this.generator = generator;
  }

  static fromSeed(seed: number): Rng {
    return new Rng(xoroshiro128plus(seed | 0));
  }

  static fromState(state: RngState): Rng {
    return new Rng(xoroshiro128plus.fromState(state));
  }

  state(): RngState {
    return this.generator.getState();
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return unsafeUniformIntDistribution(min, max, this.generator);
  }

  /** Float in [0, 1) with 2^-32 resolution. */
  float(): number {
    return this.int(0, 0xffffffff) / 0x100000000;
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Index drawn in proportion to non-negative weights; -1 when every weight is zero. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const weight of weights) total += Math.max(0, weight);
    if (total <= 0) return -1;
    let target = this.float() * total;
    for (let index = 0; index < weights.length; index++) {
      target -= Math.max(0, weights[index] ?? 0);
      if (target < 0) return index;
    }
    return weights.length - 1;
  }
}
