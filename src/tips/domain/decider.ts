/**
 * The tips Decider: commands on the user's stream become events (`decide`), events fold into the state (`evolve`,
 * state.ts). Pure: the clock reading, ids, rewards from config, LLM proposals and the cached model arrive in the command.
 * The bandit's draw is `chooseTip` (policy.ts); `decide` here only says which events a command yields, or throws.
 */
import type { Decider } from '../../core/decider.js';
import { AppError, NotFoundError, ValidationError } from '../../core/errors.js';
import type { Candidate } from './candidates.js';
import {
  type ConsentPurpose,
  consentPurposes,
  type PolicyPromotion,
  type Reaction,
  type SignalInput,
  signalEvent,
  type TipsEvent,
} from './events.js';
import type { LinUcbModel, LinUcbSettings } from './linucb.js';
import { chooseTip, type GateSettings, gate, modelFor } from './policy.js';
import { isPolicyName, type PolicyName, shadowScores } from './shadow.js';
import { evolve, initialState, openDecision, type TipsState, type TrackedDecision } from './state.js';

const minute = 60_000;

export type TipsCommand =
  | { type: 'record_signals'; signals: ReadonlyArray<{ signalId: string; input: SignalInput }> }
  | DecideTip
  | { type: 'show_tip'; decisionId: string; at: number }
  | { type: 'react_to_tip'; decisionId: string; reaction: Reaction; reward: number; at: number }
  | { type: 'set_consent'; purpose: ConsentPurpose; granted: boolean; noticeVersion: string; at: number }
  | { type: 'promote_policy'; promotion: PolicyPromotion }
  | { type: 'connect_integration'; provider: string; scope: string; at: number }
  | { type: 'disconnect_integration'; provider: string; revoked: boolean; at: number };

/** A new decision from the given candidates (rules + proposals, already filtered), drawn by the serving policy. */
export interface DecideTip {
  type: 'decide_tip';
  decisionId: string;
  now: number;
  timeZone: string;
  candidates: readonly Candidate[];
  /** The state as the policy may see it (consent applied); the decider checks it matches the state's version. */
  view: TipsState;
  /** The serving policy: its name and the model with every learned reward (rebuilt here when it is behind). */
  serving: { name: string; settings: LinUcbSettings; model?: LinUcbModel | undefined };
  /** The configured bandit settings the shadow policies are variations of, and the shadows to score. */
  shadows: { base: LinUcbSettings; policies: readonly string[] };
  gate: GateSettings;
  openDecisionMinutes: number;
  ask: boolean;
  /** Also mark the new decision shown (the page shows it at once). */
  show: boolean;
}

export interface ServingRules {
  openDecisionMinutes: number;
  /** The user asked for a tip: an open "show nothing" decision does not hold. */
  ask: boolean;
}

/** The open decision that is still served (not reacted to, younger than the window), if any. */
export function servedDecision(state: TipsState, now: number, rules: ServingRules): TrackedDecision | undefined {
  const open = openDecision(state);
  if (!open || now - open.at >= rules.openDecisionMinutes * minute) return undefined;
  if (rules.ask && open.candidates[open.chosenIndex]?.kind === 'nothing') return undefined;
  return open;
}

function decideTip(command: DecideTip, state: TipsState): TipsEvent[] {
  if (command.view.version !== state.version) throw new RangeError('decide_tip was built from another version of the state');
  if (servedDecision(state, command.now, command) !== undefined)
    throw new AppError('duplicate', 'an open decision is still served; show it instead of deciding again');
  const gated = gate(state, command.now, command.timeZone, command.gate);
  if (!gated.open) throw new ValidationError(`no new decision: ${gated.reason === 'budget' ? 'the daily budget is spent' : 'quiet hours'}`);
  const { name, settings } = command.serving;
  const given = command.serving.model;
  const current =
    given !== undefined && given.updates === state.updates.length && sameSettings(given.settings, settings)
      ? given
      : modelFor(state, settings);
  const decision = chooseTip({
    state: command.view,
    model: current,
    decisionId: command.decisionId,
    now: command.now,
    timeZone: command.timeZone,
    candidates: command.candidates,
    name,
  });
  const shadows = command.shadows.policies.filter((policy): policy is PolicyName => isPolicyName(policy) && policy !== name);
  if (shadows.length > 0) decision.shadows = shadowScores(current, command.shadows.base, decision, shadows);
  const events: TipsEvent[] = [{ type: 'tip_decided', data: decision }];
  if (command.show) events.push({ type: 'tip_shown', data: { decisionId: command.decisionId, at: command.now } });
  return events;
}

function sameSettings(a: LinUcbSettings, b: LinUcbSettings): boolean {
  return a.alpha === b.alpha && a.epsilon === b.epsilon && a.lambda === b.lambda;
}

function knownDecision(state: TipsState, decisionId: string): TrackedDecision {
  const decision = state.decisions.get(decisionId);
  if (!decision) throw new NotFoundError(`no decision ${decisionId}`, { decisionId });
  return decision;
}

function reactToTip(command: Extract<TipsCommand, { type: 'react_to_tip' }>, state: TipsState): TipsEvent[] {
  const { decisionId, reaction } = command;
  const decision = knownDecision(state, decisionId);
  if (decision.shownAt === undefined)
    throw new ValidationError(`decision ${decisionId} was never shown; mark it shown before reacting`, { decisionId });
  if (decision.reaction !== undefined) {
    if (decision.reaction === reaction) return [];
    throw new AppError('duplicate', `decision ${decisionId} already has the reaction ${decision.reaction}`, {
      details: { decisionId, reaction: decision.reaction },
    });
  }
  return [{ type: 'tip_reacted', data: { decisionId, reaction, reward: command.reward, at: command.at } }];
}

export function decide(command: TipsCommand, state: TipsState): TipsEvent[] {
  switch (command.type) {
    case 'record_signals':
      return command.signals.map(({ input, signalId }) => signalEvent(input, signalId));
    case 'decide_tip':
      return decideTip(command, state);
    case 'show_tip':
      return knownDecision(state, command.decisionId).shownAt === undefined
        ? [{ type: 'tip_shown', data: { decisionId: command.decisionId, at: command.at } }]
        : [];
    case 'react_to_tip':
      return reactToTip(command, state);
    case 'set_consent': {
      if (!consentPurposes.includes(command.purpose)) throw new ValidationError(`unknown purpose ${command.purpose}`);
      const data = { purpose: command.purpose, noticeVersion: command.noticeVersion, at: command.at };
      return [command.granted ? { type: 'consent_given', data } : { type: 'consent_revoked', data }];
    }
    case 'promote_policy':
      return [{ type: 'policy_promoted', data: command.promotion }];
    case 'connect_integration':
      return [{ type: 'integration_connected', data: { provider: command.provider, at: command.at, scope: command.scope } }];
    case 'disconnect_integration':
      return [{ type: 'integration_disconnected', data: { provider: command.provider, at: command.at, revoked: command.revoked } }];
  }
}

export const tipsDecider: Decider<TipsCommand, TipsEvent, TipsState> = { decide, evolve, initialState };
