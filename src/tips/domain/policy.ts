/**
 * The policy: gate (quiet hours, daily attention budget), score every candidate with LinUCB over context x arm
 * features, floor the propensities, draw one seeded by the decision id, and log it all. Re-deriving a decision rebuilds
 * the model from the first `updates` learned rewards and draws again from the logged features. `chooseTip` is the draw;
 * the Decider's `decide` (decider.ts) turns commands into events.
 */

import type { Candidate } from './candidates.js';
import type { DecisionData, LoggedCandidate } from './events.js';
import {
  armFeatures,
  computeFacts,
  contextFeatureNames,
  contextFeatures,
  contextFeatureVersion,
  crossFeatures,
  policyDimension,
} from './features.js';
import { chooseArm, LinUcbModel, type LinUcbSettings } from './linucb.js';
import type { TipsState } from './state.js';
import { inWindow, localTime, minuteOfDay } from './time.js';

export const policyName = 'linucb-v1';

export interface GateSettings {
  /** Minutes since midnight; equal start and end = no quiet hours. */
  quietStart: number;
  quietEnd: number;
  /** Most tips shown per local day (0 = no limit). */
  dailyBudget: number;
}

export type Gate = { open: true } | { open: false; reason: 'quiet_hours' | 'budget' };

export function gate(state: TipsState, now: number, timeZone: string, settings: GateSettings): Gate {
  const local = localTime(now, timeZone);
  if (inWindow(minuteOfDay(local), settings.quietStart, settings.quietEnd)) return { open: false, reason: 'quiet_hours' };
  if (settings.dailyBudget > 0) {
    let shownToday = 0;
    for (const decision of state.decisions.values()) {
      const chosen = decision.candidates[decision.chosenIndex];
      if (decision.shownAt !== undefined && chosen?.kind !== 'nothing' && localTime(decision.shownAt, timeZone).date === local.date)
        shownToday++;
    }
    if (shownToday >= settings.dailyBudget) return { open: false, reason: 'budget' };
  }
  return { open: true };
}

export function modelFor(state: TipsState, settings: LinUcbSettings, upTo = state.updates.length): LinUcbModel {
  return LinUcbModel.fromUpdates(policyDimension, settings, state.updates.slice(0, upTo));
}

export function policyVersion(updates: number, name: string = policyName): string {
  return `${name}/${updates}`;
}

/** The bandit's draw: scores the candidates, floors the propensities and draws one; returns the decision to log. */
export function chooseTip(input: {
  state: TipsState;
  model: LinUcbModel;
  decisionId: string;
  now: number;
  timeZone: string;
  candidates: readonly Candidate[];
  /** The serving policy's name (default `linucb-v1`); its settings are the model's. */
  name?: string;
}): DecisionData {
  const { state, model, decisionId, now, timeZone, candidates } = input;
  const name = input.name ?? policyName;
  if (candidates.length === 0) throw new RangeError('a decision needs at least one candidate');
  const facts = computeFacts(state, now, timeZone);
  const context = contextFeatures(facts, now, timeZone, state.context?.dayType);
  const features = candidates.map((candidate) =>
    crossFeatures(context, armFeatures(candidate.group, candidate.minutes, candidate.priority, candidate.salience)),
  );
  const choice = chooseArm(model, decisionId, features);
  const logged: LoggedCandidate[] = candidates.map((candidate, index) => {
    const arm = choice.arms[index] as (typeof choice.arms)[number];
    return {
      key: candidate.key,
      kind: candidate.kind,
      rule: candidate.rule,
      text: candidate.text,
      rationale: candidate.rationale,
      sourceSignalIds: candidate.sourceSignalIds,
      minutes: candidate.minutes,
      source: candidate.source,
      features: features[index] as number[],
      mean: arm.mean,
      width: arm.width,
      score: arm.score,
      propensity: arm.propensity,
    };
  });
  const chosen = logged[choice.chosen] as LoggedCandidate;
  return {
    decisionId,
    at: now,
    context: { version: contextFeatureVersion, names: [...contextFeatureNames], values: context },
    candidates: logged,
    chosenIndex: choice.chosen,
    chosenKey: chosen.key,
    propensity: chosen.propensity,
    policyVersion: policyVersion(model.updates, name),
    policy: { name, ...model.settings, updates: model.updates },
  };
}

/** Draws a logged decision again from its id, its logged features and the model at its policy version. */
export function rederive(state: TipsState, decision: DecisionData): { chosenIndex: number; propensities: number[] } {
  const { alpha, lambda, epsilon } = decision.policy;
  const model = modelFor(state, { alpha, lambda, epsilon }, decision.policy.updates);
  const choice = chooseArm(
    model,
    decision.decisionId,
    decision.candidates.map((candidate) => candidate.features),
  );
  return { chosenIndex: choice.chosen, propensities: choice.arms.map((arm) => arm.propensity) };
}

/** The runner-up: the candidate with the best score after the chosen one. */
export function runnerUp(decision: DecisionData): LoggedCandidate | undefined {
  return decision.candidates.filter((_, index) => index !== decision.chosenIndex).sort((a, b) => b.score - a.score)[0];
}
