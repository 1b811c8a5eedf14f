/**
 * The reward model of the doubly robust estimators: ridge regression of the logged reward on a candidate's features
 * (the same A^-1 / Sherman-Morrison machinery as LinUCB, read as a plain regression). Pure.
 */
import { LinUcbModel } from './linucb.js';

export interface RewardModel {
  predict(features: readonly number[]): number;
}

/** Fits reward ~ theta . project(features) on the logged (features, reward) pairs; predictions clamp to [low, high]. */
export function fitRewardModel(
  data: Iterable<{ features: readonly number[]; reward: number }>,
  options: {
    dimension: number;
    lambda?: number;
    project?: (features: readonly number[]) => readonly number[];
    low?: number;
    high?: number;
  },
): RewardModel {
  const project = options.project ?? ((features: readonly number[]) => features);
  const model = new LinUcbModel(options.dimension, { alpha: 0, lambda: options.lambda ?? 1, epsilon: 0 });
  for (const point of data) model.update([...project(point.features)], point.reward);
  const theta = model.coefficients();
  const low = options.low ?? Number.NEGATIVE_INFINITY;
  const high = options.high ?? Number.POSITIVE_INFINITY;
  return {
    predict(features) {
      const x = project(features);
      let sum = 0;
      for (let i = 0; i < options.dimension; i++) sum += (theta[i] as number) * (x[i] as number);
      return Math.min(high, Math.max(low, sum));
    },
  };
}
