/**
 * Off-policy evaluation over a decision log, written by hand (DESIGN §7): the value a target policy would have earned
 * on the logged contexts, estimated from what the logging policy did, with percentile-bootstrap 95 % intervals.
 *
 * Per logged decision i with candidates a, logging propensities mu(a|x_i), target probabilities pi(a|x_i), the chosen
 * a_i, its reward r_i and a reward model q(x_i, a); w_i = pi(a_i|x_i) / mu(a_i|x_i):
 * - IPS        (1/n) sum w_i r_i
 * - SNIPS      sum w_i r_i / sum w_i
 * - DR         (1/n) sum [ sum_a pi(a|x_i) q(x_i,a) + w_i (r_i - q(x_i,a_i)) ]
 * - Switch-DR  (1/n) sum [ sum_a pi(a|x_i) q(x_i,a) + 1[w_i <= tau] w_i (r_i - q(x_i,a_i)) ]  (Wang et al. 2017: the
 *              importance-weighted correction only where the weight is at most tau; the reward model elsewhere)
 * Pure: the bootstrap draws from a seeded Rng.
 */
import { Rng } from '../../core/rng.js';

export interface OpeSample {
  /** mu(.|x): the logging policy's propensities over the candidates (sum 1). */
  logging: readonly number[];
  /** pi(.|x): the target policy's probabilities over the same candidates (sum 1). */
  target: readonly number[];
  chosen: number;
  reward: number;
  /** q(x, a) per candidate: the reward model's prediction (DR, Switch-DR). */
  predictions: readonly number[];
}

export const estimatorNames = ['ips', 'snips', 'dr', 'switch-dr'] as const;
export type EstimatorName = (typeof estimatorNames)[number];

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface OpeOptions {
  /** Bootstrap resamples (default 1,000). */
  resamples?: number;
  /** Seed of the bootstrap draws (default 1). */
  seed?: number;
  /** Switch-DR's weight threshold (default 10). */
  switchThreshold?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
}

export interface OpeReport {
  samples: number;
  estimates: Record<EstimatorName, Interval>;
  /** Effective sample size of the importance weights, (sum w)^2 / sum w^2. */
  effectiveSampleSize: number;
  maxWeight: number;
}

/** The per-sample terms every estimator is a (ratio of) mean(s) of. */
interface Terms {
  weight: number;
  weighted: number;
  dr: number;
  switchDr: number;
}

function termsOf(sample: OpeSample, threshold: number): Terms {
  const mu = sample.logging[sample.chosen];
  const pi = sample.target[sample.chosen];
  if (mu === undefined || pi === undefined || !(mu > 0)) throw new RangeError('the logged action needs a positive logging propensity');
  const weight = pi / mu;
  let direct = 0;
  for (let a = 0; a < sample.target.length; a++) direct += (sample.target[a] as number) * (sample.predictions[a] ?? 0);
  const correction = weight * (sample.reward - (sample.predictions[sample.chosen] ?? 0));
  return {
    weight,
    weighted: weight * sample.reward,
    dr: direct + correction,
    switchDr: direct + (weight <= threshold ? correction : 0),
  };
}

function estimatesOf(terms: readonly Terms[], indices: ArrayLike<number>): Record<EstimatorName, number> {
  let weights = 0;
  let weighted = 0;
  let dr = 0;
  let switchDr = 0;
  const n = indices.length;
  for (let k = 0; k < n; k++) {
    const t = terms[indices[k] as number] as Terms;
    weights += t.weight;
    weighted += t.weighted;
    dr += t.dr;
    switchDr += t.switchDr;
  }
  return {
    ips: n === 0 ? 0 : weighted / n,
    snips: weights === 0 ? 0 : weighted / weights,
    dr: n === 0 ? 0 : dr / n,
    'switch-dr': n === 0 ? 0 : switchDr / n,
  };
}

/** The q-th quantile (linear interpolation) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (position - low);
}

/** Every estimator with its percentile-bootstrap interval. */
export function evaluateOffPolicy(samples: readonly OpeSample[], options: OpeOptions = {}): OpeReport {
  const resamples = options.resamples ?? 1_000;
  const threshold = options.switchThreshold ?? 10;
  const level = options.level ?? 0.95;
  const terms = samples.map((sample) => termsOf(sample, threshold));
  const all = Uint32Array.from(terms.keys());
  const point = estimatesOf(terms, all);
  const draws: Record<EstimatorName, number[]> = { ips: [], snips: [], dr: [], 'switch-dr': [] };
  const n = terms.length;
  if (n > 0) {
    const rng = Rng.fromSeed(options.seed ?? 1);
    const indices = new Uint32Array(n);
    for (let b = 0; b < resamples; b++) {
      for (let k = 0; k < n; k++) indices[k] = Math.floor(rng.float() * n);
      const values = estimatesOf(terms, indices);
      for (const name of estimatorNames) draws[name].push(values[name]);
    }
  }
  const alpha = (1 - level) / 2;
  const estimates = {} as Record<EstimatorName, Interval>;
  for (const name of estimatorNames) {
    const sorted = draws[name].sort((a, b) => a - b);
    estimates[name] =
      sorted.length === 0
        ? { estimate: point[name], low: point[name], high: point[name] }
        : { estimate: point[name], low: quantile(sorted, alpha), high: quantile(sorted, 1 - alpha) };
  }
  let sum = 0;
  let squares = 0;
  let maxWeight = 0;
  for (const t of terms) {
    sum += t.weight;
    squares += t.weight * t.weight;
    maxWeight = Math.max(maxWeight, t.weight);
  }
  return { samples: n, estimates, effectiveSampleSize: squares === 0 ? 0 : (sum * sum) / squares, maxWeight };
}

/** The on-policy value of the logged rewards (the incumbent's), with a bootstrap interval of the mean. */
export function onPolicyValue(rewards: readonly number[], options: Pick<OpeOptions, 'resamples' | 'seed' | 'level'> = {}): Interval {
  const n = rewards.length;
  const mean = n === 0 ? 0 : rewards.reduce((sum, value) => sum + value, 0) / n;
  if (n === 0) return { estimate: 0, low: 0, high: 0 };
  const rng = Rng.fromSeed(options.seed ?? 2);
  const means: number[] = [];
  for (let b = 0; b < (options.resamples ?? 1_000); b++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += rewards[Math.floor(rng.float() * n)] as number;
    means.push(sum / n);
  }
  means.sort((a, b) => a - b);
  const alpha = (1 - (options.level ?? 0.95)) / 2;
  return { estimate: mean, low: quantile(means, alpha), high: quantile(means, 1 - alpha) };
}

export interface PromotionVerdict {
  promote: boolean;
  /** The estimator whose lower bound is compared (DR). */
  estimator: EstimatorName;
  challengerLow: number;
  incumbentValue: number;
  reason: string;
}

/**
 * The promotion gate: the challenger's lower bound (DR by default) must beat the incumbent's on-policy value, on at
 * least `minSamples` logged decisions.
 */
export function promotionVerdict(
  report: OpeReport,
  incumbent: Interval,
  options: { estimator?: EstimatorName; minSamples?: number } = {},
): PromotionVerdict {
  const estimator = options.estimator ?? 'dr';
  const minSamples = options.minSamples ?? 1;
  const challengerLow = report.estimates[estimator].low;
  const incumbentValue = incumbent.estimate;
  if (report.samples < minSamples)
    return { promote: false, estimator, challengerLow, incumbentValue, reason: `only ${report.samples} of ${minSamples} decisions needed` };
  const promote = challengerLow > incumbentValue;
  return {
    promote,
    estimator,
    challengerLow,
    incumbentValue,
    reason: promote
      ? `${estimator} lower bound ${challengerLow.toFixed(4)} > incumbent ${incumbentValue.toFixed(4)}`
      : `${estimator} lower bound ${challengerLow.toFixed(4)} <= incumbent ${incumbentValue.toFixed(4)}`,
  };
}
