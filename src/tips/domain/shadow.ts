/**
 * Named policies, shadow scoring and the evaluation of a policy over the decision log. Every named policy is a setting
 * of the one LinUCB model (A, b do not depend on alpha or epsilon), so a shadow scores a decision from the same learned
 * model as the incumbent without serving, and a promoted policy serves through the same `chooseTip`/`rederive` path.
 * Pure.
 */
import type { DecisionData } from './events.js';
import { policyDimension } from './features.js';
import { type LinUcbModel, type LinUcbSettings, propensitiesFromScores } from './linucb.js';
import { evaluateOffPolicy, type Interval, type OpeOptions, type OpeReport, type OpeSample, onPolicyValue } from './ope.js';
import { modelFor, policyName } from './policy.js';
import { fitRewardModel } from './reward-model.js';
import type { TipsState, TrackedDecision } from './state.js';

/** The named policies: the configured LinUCB and three variants of it. */
export const namedPolicies = {
  [policyName]: (base: LinUcbSettings): LinUcbSettings => base,
  /** Exploit: no confidence bonus, the configured floor. */
  'linucb-greedy': (base: LinUcbSettings): LinUcbSettings => ({ ...base, alpha: 0 }),
  /** Explore more: twice the confidence bonus. */
  'linucb-wide': (base: LinUcbSettings): LinUcbSettings => ({ ...base, alpha: base.alpha * 2 }),
  /** Uniform over the candidates (epsilon 1): a baseline. */
  uniform: (base: LinUcbSettings): LinUcbSettings => ({ ...base, alpha: 0, epsilon: 1 }),
} as const;

export type PolicyName = keyof typeof namedPolicies;
export const policyNames = Object.keys(namedPolicies) as PolicyName[];

export function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(namedPolicies, name);
}

export function settingsOf(name: PolicyName, base: LinUcbSettings): LinUcbSettings {
  return namedPolicies[name](base);
}

/** A policy's probabilities over candidates, from the shared model (whatever its own alpha). */
export function policyProbabilities(model: LinUcbModel, settings: LinUcbSettings, features: readonly (readonly number[])[]): number[] {
  const scores = features.map((vector) => {
    const { mean, spread } = model.scoreParts(vector);
    return mean + settings.alpha * spread;
  });
  return propensitiesFromScores(scores, settings.epsilon);
}

export interface ShadowScore {
  policy: string;
  probabilities: number[];
  /** The candidate it would most likely serve (the first of ties). */
  top: number;
  /** Its top candidate is the one served. */
  agrees: boolean;
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if ((values[index] as number) > (values[best] as number)) best = index;
  return best;
}

/** Scores a decision with each shadow policy, without serving. */
export function shadowScores(
  model: LinUcbModel,
  base: LinUcbSettings,
  decision: Pick<DecisionData, 'candidates' | 'chosenIndex'>,
  shadows: readonly PolicyName[],
): ShadowScore[] {
  const features = decision.candidates.map((candidate) => candidate.features);
  return shadows.map((policy) => {
    const probabilities = policyProbabilities(model, settingsOf(policy, base), features);
    const top = argmax(probabilities);
    return { policy, probabilities, top, agrees: top === decision.chosenIndex };
  });
}

export interface Agreement {
  policy: string;
  decisions: number;
  agreed: number;
  rate: number;
}

/** How often each shadow's top candidate was the one served, over the decisions it scored. */
export function shadowAgreement(decisions: Iterable<DecisionData>): Agreement[] {
  const totals = new Map<string, { decisions: number; agreed: number }>();
  for (const decision of decisions)
    for (const shadow of decision.shadows ?? []) {
      const total = totals.get(shadow.policy) ?? { decisions: 0, agreed: 0 };
      total.decisions++;
      if (shadow.agrees) total.agreed++;
      totals.set(shadow.policy, total);
    }
  return [...totals].map(([policy, total]) => ({ policy, ...total, rate: total.decisions === 0 ? 0 : total.agreed / total.decisions }));
}

/**
 * The target probabilities of `policy` for every logged decision, in decision order: the shadow's logged scores when it
 * was shadowing, otherwise re-scored from the model at the decision's policy version (the model is walked forward once).
 */
export function replayPolicy(state: TipsState, policy: PolicyName, base: LinUcbSettings): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const settings = settingsOf(policy, base);
  const model = modelFor(state, base, 0);
  for (const id of state.decisionOrder) {
    const decision = state.decisions.get(id);
    if (!decision) continue;
    const logged = decision.shadows?.find((shadow) => shadow.policy === policy);
    if (logged && logged.probabilities.length === decision.candidates.length) {
      out.set(id, logged.probabilities);
      continue;
    }
    if (decision.policy.name === policy && settings.alpha === decision.policy.alpha && settings.epsilon === decision.policy.epsilon) {
      out.set(
        id,
        decision.candidates.map((candidate) => candidate.propensity),
      );
      continue;
    }
    for (const update of state.updates.slice(model.updates, decision.policy.updates)) model.update(update.features, update.reward);
    out.set(
      id,
      policyProbabilities(
        model,
        settings,
        decision.candidates.map((candidate) => candidate.features),
      ),
    );
  }
  return out;
}

export interface PolicyEvaluation {
  policy: string;
  incumbent: string;
  /** Decisions that were shown and reacted to (the estimators' input). */
  decisions: number;
  report: OpeReport;
  /** The incumbent's on-policy value: the mean reward of its reacted decisions. */
  incumbentValue: Interval;
  incumbentDecisions: number;
  agreement: Agreement | undefined;
}

/** Reacted decisions: the ones with a reward. */
export function rewarded(state: TipsState): TrackedDecision[] {
  return state.decisionOrder
    .map((id) => state.decisions.get(id))
    .filter((decision): decision is TrackedDecision => decision !== undefined && decision.reward !== undefined);
}

/** IPS, SNIPS, DR and Switch-DR for `policy` over the user's decision log, against the serving policy's on-policy value. */
export function evaluatePolicy(
  state: TipsState,
  policy: PolicyName,
  base: LinUcbSettings,
  incumbent: string,
  options: OpeOptions = {},
): PolicyEvaluation {
  const decisions = rewarded(state);
  const targets = replayPolicy(state, policy, base);
  const rewardModel = fitRewardModel(
    decisions.map((decision) => ({
      features: (decision.candidates[decision.chosenIndex] as { features: number[] }).features,
      reward: decision.reward as number,
    })),
    { dimension: policyDimension, lambda: base.lambda, low: -1, high: 1 },
  );
  const samples: OpeSample[] = decisions.map((decision) => ({
    logging: decision.candidates.map((candidate) => candidate.propensity),
    target: targets.get(decision.decisionId) as number[],
    chosen: decision.chosenIndex,
    reward: decision.reward as number,
    predictions: decision.candidates.map((candidate) => rewardModel.predict(candidate.features)),
  }));
  const onPolicy = decisions.filter((decision) => decision.policy.name === incumbent).map((decision) => decision.reward as number);
  return {
    policy,
    incumbent,
    decisions: decisions.length,
    report: evaluateOffPolicy(samples, options),
    incumbentValue: onPolicyValue(onPolicy, options),
    incumbentDecisions: onPolicy.length,
    agreement: shadowAgreement(state.decisionOrder.map((id) => state.decisions.get(id) as DecisionData)).find(
      (entry) => entry.policy === policy,
    ),
  };
}

/** The evaluation as a plain-text table. */
export function formatEvaluation(evaluation: PolicyEvaluation): string {
  const pad = (text: string, width: number) => text.padEnd(width);
  const number = (value: number) => value.toFixed(4).padStart(8);
  const lines = [
    `policy ${evaluation.policy} vs incumbent ${evaluation.incumbent}: ${evaluation.decisions} rewarded decisions, ESS ${evaluation.report.effectiveSampleSize.toFixed(1)}, max weight ${evaluation.report.maxWeight.toFixed(2)}`,
    `${pad('estimator', 12)}${'estimate'.padStart(8)}  ${'95% low'.padStart(8)}  ${'95% high'.padStart(8)}`,
  ];
  for (const [name, interval] of Object.entries(evaluation.report.estimates))
    lines.push(`${pad(name, 12)}${number(interval.estimate)}  ${number(interval.low)}  ${number(interval.high)}`);
  const value = evaluation.incumbentValue;
  lines.push(
    `${pad('on-policy', 12)}${number(value.estimate)}  ${number(value.low)}  ${number(value.high)}   (${evaluation.incumbent}, ${evaluation.incumbentDecisions} decisions)`,
  );
  if (evaluation.agreement)
    lines.push(
      `shadow agreement ${(evaluation.agreement.rate * 100).toFixed(1)} % (${evaluation.agreement.agreed}/${evaluation.agreement.decisions})`,
    );
  return lines.join('\n');
}
