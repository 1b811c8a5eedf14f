/**
 * LinUCB over a shared linear model of (context x candidate) features, written by hand (DESIGN §7), with an
 * exploration floor: the greedy candidate (ties share it) gets 1 - epsilon and every candidate epsilon / K on top, so
 * each propensity is >= epsilon / K and they sum to 1. The choice is sampled with a generator seeded by the decision
 * id, so a logged decision can be re-derived from its id, its candidates' features and the model at its policy version.
 *
 * Math: A = lambda I + sum x x^T, b = sum r x, theta = A^-1 b, score(x) = theta . x + alpha sqrt(x^T A^-1 x).
 * A^-1 is kept directly and updated with Sherman-Morrison: A^-1 <- A^-1 - (A^-1 x)(A^-1 x)^T / (1 + x^T A^-1 x),
 * O(d^2) per update and per scored candidate. Pure: no I/O, no clock, no global randomness.
 */
import { Rng } from '../../core/rng.js';

export interface LinUcbSettings {
  /** Width of the confidence bonus. */
  alpha: number;
  /** Ridge prior (A starts as lambda I). */
  lambda: number;
  /** Exploration floor: every candidate gets at least epsilon / K. */
  epsilon: number;
}

export interface LinUcbUpdate {
  features: readonly number[];
  reward: number;
}

export class LinUcbModel {
  readonly dimension: number;
  readonly settings: LinUcbSettings;
  /** A^-1, row-major d x d. */
  private readonly inverse: Float64Array;
  private readonly b: Float64Array;
  private theta: Float64Array | undefined;
  /** Number of updates applied; part of the policy version. */
  updates = 0;

  constructor(dimension: number, settings: LinUcbSettings) {
    if (!(settings.epsilon >= 0 && settings.epsilon <= 1)) throw new RangeError('epsilon must be in [0, 1]');
    if (!(settings.lambda > 0)) throw new RangeError('lambda must be positive');
    this.dimension = dimension;
    this.settings = settings;
    this.inverse = new Float64Array(dimension * dimension);
    for (let i = 0; i < dimension; i++) this.inverse[i * dimension + i] = 1 / settings.lambda;
    this.b = new Float64Array(dimension);
  }

  /** A model with the given updates applied in order. */
  static fromUpdates(dimension: number, settings: LinUcbSettings, updates: Iterable<LinUcbUpdate>): LinUcbModel {
    const model = new LinUcbModel(dimension, settings);
    for (const update of updates) model.update(update.features, update.reward);
    return model;
  }

  update(features: readonly number[], reward: number): void {
    const d = this.dimension;
    this.check(features);
    const ax = this.multiply(features);
    let denominator = 1;
    for (let i = 0; i < d; i++) denominator += (features[i] as number) * (ax[i] as number);
    for (let i = 0; i < d; i++) {
      const axi = (ax[i] as number) / denominator;
      if (axi === 0) continue;
      const row = i * d;
      for (let j = 0; j < d; j++) this.inverse[row + j] = (this.inverse[row + j] as number) - axi * (ax[j] as number);
    }
    for (let i = 0; i < d; i++) this.b[i] = (this.b[i] as number) + reward * (features[i] as number);
    this.theta = undefined;
    this.updates++;
  }

  /** Expected reward and its confidence width for one feature vector. */
  score(features: readonly number[]): { mean: number; width: number; ucb: number } {
    this.check(features);
    const theta = this.coefficients();
    const ax = this.multiply(features);
    let mean = 0;
    let variance = 0;
    for (let i = 0; i < this.dimension; i++) {
      mean += (theta[i] as number) * (features[i] as number);
      variance += (features[i] as number) * (ax[i] as number);
    }
    const width = this.settings.alpha * Math.sqrt(Math.max(0, variance));
    return { mean, width, ucb: mean + width };
  }

  /** The mean and the un-scaled spread sqrt(x^T A^-1 x): a policy with another alpha scores mean + alpha * spread. */
  scoreParts(features: readonly number[]): { mean: number; spread: number } {
    const { mean, width } = this.score(features);
    if (this.settings.alpha > 0) return { mean, spread: width / this.settings.alpha };
    this.check(features);
    const ax = this.multiply(features);
    let variance = 0;
    for (let i = 0; i < this.dimension; i++) variance += (features[i] as number) * (ax[i] as number);
    return { mean, spread: Math.sqrt(Math.max(0, variance)) };
  }

  /** theta = A^-1 b, cached until the next update. */
  coefficients(): Float64Array {
    if (this.theta === undefined) this.theta = this.multiply(this.b);
    return this.theta;
  }

  private multiply(vector: ArrayLike<number>): Float64Array {
    const d = this.dimension;
    const out = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let sum = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) sum += (this.inverse[row + j] as number) * (vector[j] as number);
      out[i] = sum;
    }
    return out;
  }

  private check(features: readonly number[]): void {
    if (features.length !== this.dimension) throw new RangeError(`expected ${this.dimension} features, got ${features.length}`);
  }
}

export interface ScoredArm {
  mean: number;
  width: number;
  score: number;
  propensity: number;
}

/**
 * Propensities from UCB scores: the best score (ties split it) gets 1 - epsilon, and every arm epsilon / K.
 * Scores within `tolerance` of the best count as ties, so float noise cannot flip a re-derivation.
 */
export function propensitiesFromScores(scores: readonly number[], epsilon: number, tolerance = 1e-9): number[] {
  const k = scores.length;
  if (k === 0) return [];
  let best = Number.NEGATIVE_INFINITY;
  for (const score of scores) if (score > best) best = score;
  const winners = scores.map((score) => score >= best - tolerance);
  const winnerCount = winners.filter(Boolean).length;
  return scores.map((_, index) => epsilon / k + (winners[index] ? (1 - epsilon) / winnerCount : 0));
}

/** The seed of a decision's draw: 32-bit FNV-1a of the id, then murmur3's finalizer so similar ids seed far apart. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash | 0;
}

/** The index drawn from `propensities` by the generator seeded with the decision id. */
export function drawIndex(decisionId: string, propensities: readonly number[]): number {
  const u = Rng.fromSeed(seedOf(decisionId)).float();
  let cumulative = 0;
  for (let index = 0; index < propensities.length; index++) {
    cumulative += propensities[index] as number;
    if (u < cumulative) return index;
  }
  return propensities.length - 1;
}

export interface ArmChoice {
  arms: ScoredArm[];
  chosen: number;
}

/** Scores every candidate, applies the floor and draws one, seeded by the decision id. */
export function chooseArm(model: LinUcbModel, decisionId: string, candidateFeatures: readonly (readonly number[])[]): ArmChoice {
  const scored = candidateFeatures.map((features) => model.score(features));
  const propensities = propensitiesFromScores(
    scored.map((arm) => arm.ucb),
    model.settings.epsilon,
  );
  const arms = scored.map((arm, index) => ({
    mean: arm.mean,
    width: arm.width,
    score: arm.ucb,
    propensity: propensities[index] as number,
  }));
  return { arms, chosen: drawIndex(decisionId, propensities) };
}
