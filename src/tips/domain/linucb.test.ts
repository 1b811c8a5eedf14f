import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { chooseArm, drawIndex, LinUcbModel, propensitiesFromScores } from './linucb.js';

/** A synthetic environment: 5 context types, 5 arms, a Bernoulli reward per (context, arm) with one known best arm each. */
const contexts = 5;
const armCount = 5;
const rewardProbability = (context: number, arm: number) =>
  arm === (context * 2 + 1) % armCount ? 0.8 : 0.15 + 0.08 * ((arm + context) % 4);
const oracle = (context: number) => Math.max(...Array.from({ length: armCount }, (_, arm) => rewardProbability(context, arm)));

/** Context one-hot crossed with arm one-hot, plus a little shared structure (bias x arm). */
function features(context: number, arm: number): number[] {
  const vector = new Array<number>((contexts + 1) * armCount).fill(0);
  vector[context * armCount + arm] = 1;
  vector[contexts * armCount + arm] = 0.5;
  return vector;
}

interface Logged {
  id: string;
  context: number;
  updatesBefore: number;
  propensities: number[];
  chosen: number;
}

function simulate(rounds: number, seed: number) {
  const settings = { alpha: 0.6, lambda: 1, epsilon: 0.05 };
  const model = new LinUcbModel((contexts + 1) * armCount, settings);
  const environment = Rng.fromSeed(seed);
  const rewards: number[] = [];
  const oracleRewards: number[] = [];
  const log: Logged[] = [];
  const updates: Array<{ features: number[]; reward: number }> = [];
  for (let round = 0; round < rounds; round++) {
    const context = environment.int(0, contexts - 1);
    const candidates = Array.from({ length: armCount }, (_, arm) => features(context, arm));
    const id = `synthetic-${seed}-${round}`;
    const choice = chooseArm(model, id, candidates);
    log.push({ id, context, updatesBefore: model.updates, propensities: choice.arms.map((arm) => arm.propensity), chosen: choice.chosen });
    const reward = environment.chance(rewardProbability(context, choice.chosen)) ? 1 : 0;
    rewards.push(reward);
    oracleRewards.push(oracle(context));
    const update = { features: candidates[choice.chosen] as number[], reward };
    updates.push(update);
    model.update(update.features, update.reward);
  }
  return { rewards, oracleRewards, log, updates, settings };
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('LinUCB with an exploration floor', () => {
  const run = simulate(5_000, 20261122);

  it('given a synthetic environment with a known best arm per context, when it plays 5,000 rounds, then the last 1,000 earn >= 90 % of the oracle', () => {
    const policy = mean(run.rewards.slice(-1_000));
    const best = mean(run.oracleRewards.slice(-1_000));
    expect(policy / best).toBeGreaterThanOrEqual(0.9);
  });

  it('given any logged decision, then every propensity is >= epsilon / K and they sum to 1', () => {
    for (const entry of run.log) {
      const floor = run.settings.epsilon / entry.propensities.length;
      for (const propensity of entry.propensities) expect(propensity).toBeGreaterThanOrEqual(floor - 1e-12);
      expect(Math.abs(entry.propensities.reduce((sum, value) => sum + value, 0) - 1)).toBeLessThan(1e-9);
    }
  });

  it('given a logged decision, when it is re-derived from its id, its context and the model at its policy version, then the choice is the same', () => {
    for (const index of [0, 1, 17, 999, 2_500, 4_999]) {
      const entry = run.log[index] as Logged;
      const model = LinUcbModel.fromUpdates((contexts + 1) * armCount, run.settings, run.updates.slice(0, entry.updatesBefore));
      const again = chooseArm(
        model,
        entry.id,
        Array.from({ length: armCount }, (_, arm) => features(entry.context, arm)),
      );
      expect(again.chosen).toBe(entry.chosen);
      expect(again.arms.map((arm) => arm.propensity)).toEqual(entry.propensities);
    }
  });

  it('given tied scores, then the greedy share is split between them', () => {
    const [first, second, third] = propensitiesFromScores([1, 1, 0], 0.3);
    expect(first).toBeCloseTo(0.45, 12);
    expect(second).toBeCloseTo(0.45, 12);
    expect(third).toBeCloseTo(0.1, 12);
  });

  it('given the same decision id, then the draw is the same; another id may differ', () => {
    const propensities = [0.25, 0.25, 0.25, 0.25];
    expect(drawIndex('d-local-1', propensities)).toBe(drawIndex('d-local-1', propensities));
    const draws = new Set(Array.from({ length: 40 }, (_, index) => drawIndex(`d-local-${index}`, propensities)));
    expect(draws.size).toBe(4);
  });

  it('given updates, then Sherman-Morrison keeps A^-1 equal to a direct solve', () => {
    const model = new LinUcbModel(3, { alpha: 0, lambda: 1, epsilon: 0 });
    model.update([1, 0, 0], 1);
    model.update([1, 1, 0], 0);
    model.update([0, 1, 1], 1);
    // A = I + sum x x^T = [[3,1,0],[1,3,1],[0,1,2]]; b = [1, 1, 1]; theta = A^-1 b = [4, 1, 6] / 13
    const theta = Array.from(model.coefficients());
    expect(theta[0]).toBeCloseTo(4 / 13, 12);
    expect(theta[1]).toBeCloseTo(1 / 13, 12);
    expect(theta[2]).toBeCloseTo(6 / 13, 12);
  });
});
