import { describe, expect, it } from 'vitest';
import { AppError, NotFoundError, ValidationError } from '../../core/errors.js';
import { given } from '../../core/testing/decider-spec.js';
import { buildCandidates } from './candidates.js';
import { type DecideTip, servedDecision, tipsDecider } from './decider.js';
import type { DecisionData, TipsEvent } from './events.js';
import { tipsEventTypes, tipsUpcasters } from './events.js';
import { chooseTip, modelFor } from './policy.js';
import { foldEvents, initialState, type TipsState } from './state.js';
import { zonedTimeToEpoch } from './time.js';

const zone = 'Europe/Helsinki';
const at = (hour: number, minute = 0) => zonedTimeToEpoch({ year: 2026, month: 11, day: 23, hour, minute }, zone);
const minute = 60_000;
const bandit = { alpha: 0.5, lambda: 1, epsilon: 0.1 };
const settings = { dedupDays: 14, snoozeMinutes: 120, duplicateThreshold: 0.75 };
const noGate = { quietStart: 0, quietEnd: 0, dailyBudget: 0 };

const task: TipsEvent = {
  type: 'task_recorded',
  data: { signalId: 'sig-1', taskId: 't1', title: 'Renew the passport', priority: 4, done: false, source: 'manual' },
};

function decision(state: TipsState, id: string, now: number): DecisionData {
  const { candidates } = buildCandidates(state, now, zone, settings);
  return chooseTip({ state, model: modelFor(state, bandit), decisionId: id, now, timeZone: zone, candidates });
}

function decideTip(state: TipsState, overrides: Partial<DecideTip> = {}): DecideTip {
  const now = overrides.now ?? at(10);
  return {
    type: 'decide_tip',
    decisionId: 'local-1',
    now,
    timeZone: zone,
    candidates: buildCandidates(state, now, zone, settings).candidates,
    view: state,
    serving: { name: 'linucb-v1', settings: bandit },
    shadows: { base: bandit, policies: [] },
    gate: noGate,
    openDecisionMinutes: 240,
    ask: false,
    show: true,
    ...overrides,
  };
}

const decided = decision(foldEvents(initialState(), [task]), 'local-1', at(10));

describe('tips decider', () => {
  it('given a task, when a tip is decided and shown, then the bandit draw is logged and shown at once', () => {
    const state = foldEvents(initialState(), [task]);
    given(tipsDecider, [task])
      .when(decideTip(state))
      .then([
        { type: 'tip_decided', data: decided },
        { type: 'tip_shown', data: { decisionId: 'local-1', at: at(10) } },
      ]);
  });

  it('given an open decision younger than the window, when another is asked for, then it is refused; after the window it is not served', () => {
    const events: TipsEvent[] = [task, { type: 'tip_decided', data: decided }];
    const state = foldEvents(initialState(), events);
    given(tipsDecider, events)
      .when(decideTip(state, { decisionId: 'local-2', now: at(11) }))
      .thenThrows((error) => error instanceof AppError && error.code === 'duplicate');
    expect(servedDecision(state, at(10) + 239 * minute, { openDecisionMinutes: 240, ask: false })?.decisionId).toBe('local-1');
    expect(servedDecision(state, at(10) + 240 * minute, { openDecisionMinutes: 240, ask: false })).toBeUndefined();
  });

  it('given quiet hours, when a tip is decided, then it is refused', () => {
    const state = foldEvents(initialState(), [task]);
    given(tipsDecider, [task])
      .when(decideTip(state, { gate: { quietStart: 9 * 60, quietEnd: 12 * 60, dailyBudget: 0 } }))
      .thenThrows(ValidationError);
  });

  it('given a decision never shown, when it is reacted to, then it is refused; shown, the reaction carries the reward', () => {
    const events: TipsEvent[] = [task, { type: 'tip_decided', data: decided }];
    const react = { type: 'react_to_tip', decisionId: 'local-1', reaction: 'done', reward: 1, at: at(10, 5) } as const;
    given(tipsDecider, events).when(react).thenThrows(ValidationError);
    const shown: TipsEvent[] = [...events, { type: 'tip_shown', data: { decisionId: 'local-1', at: at(10) } }];
    given(tipsDecider, shown)
      .when(react)
      .then([{ type: 'tip_reacted', data: { decisionId: 'local-1', reaction: 'done', reward: 1, at: at(10, 5) } }]);
  });

  it('given a reacted decision, when the same reaction comes again, then nothing happens; a different one is a duplicate', () => {
    const events: TipsEvent[] = [
      task,
      { type: 'tip_decided', data: decided },
      { type: 'tip_shown', data: { decisionId: 'local-1', at: at(10) } },
      { type: 'tip_reacted', data: { decisionId: 'local-1', reaction: 'done', reward: 1, at: at(10, 5) } },
    ];
    given(tipsDecider, events)
      .when({ type: 'react_to_tip', decisionId: 'local-1', reaction: 'done', reward: 1, at: at(10, 6) })
      .thenNothing();
    given(tipsDecider, events)
      .when({ type: 'react_to_tip', decisionId: 'local-1', reaction: 'dismiss', reward: 0, at: at(10, 6) })
      .thenThrows((error) => error instanceof AppError && error.code === 'duplicate');
  });

  it('given a done task tip, then the fold completes the task, learns the reward and retires the key', () => {
    const events: TipsEvent[] = [
      task,
      { type: 'tip_decided', data: decided },
      { type: 'tip_shown', data: { decisionId: 'local-1', at: at(10) } },
    ];
    const state = foldEvents(initialState(), events);
    const chosen = decided.candidates[decided.chosenIndex];
    expect(chosen?.key).toBe('task:t1');
    const after = foldEvents(
      state,
      tipsDecider.decide({ type: 'react_to_tip', decisionId: 'local-1', reaction: 'done', reward: 1, at: at(10, 5) }, state),
    );
    expect([after.tasks.get('t1')?.done, after.updates.length, after.doneKeys.has('task:t1')]).toEqual([true, 1, true]);
    // The fold is pure: the state it started from is unchanged.
    expect([state.tasks.get('t1')?.done, state.updates.length, state.doneKeys.size, state.version]).toEqual([false, 0, 0, 3]);
  });

  it('given no decision, when one is shown, then it is not found; shown twice, the second is a no-op', () => {
    given(tipsDecider, [task])
      .when({ type: 'show_tip', decisionId: 'local-9', at: at(10) })
      .thenThrows(NotFoundError);
    given(tipsDecider, [task, { type: 'tip_decided', data: decided }, { type: 'tip_shown', data: { decisionId: 'local-1', at: at(10) } }])
      .when({ type: 'show_tip', decisionId: 'local-1', at: at(10, 1) })
      .thenNothing();
  });

  it('when consent is revoked, then the state says so with the notice version', () => {
    given(tipsDecider, [])
      .when({ type: 'set_consent', purpose: 'mood', granted: false, noticeVersion: '2026-11-23', at: at(9) })
      .thenState({
        ...initialState(),
        version: 1,
        consents: new Map([['mood', { granted: false, noticeVersion: '2026-11-23', at: at(9) }]]),
      });
  });
});

describe('tips event names', () => {
  it('maps every stored `tips.` name to its current name, data unchanged', () => {
    expect(tipsEventTypes).toHaveLength(14);
    for (const type of tipsEventTypes) {
      expect(type).toMatch(/^[a-z]+(_[a-z]+)*$/);
      const upcaster = tipsUpcasters.find((candidate) => candidate.fromType === `tips.${type}`);
      const data = { decisionId: 'local-1', at: 1 };
      expect(upcaster?.upcast({ type: `tips.${type}`, data })).toEqual({ type, data });
      expect(upcaster?.toType).toBe(type);
    }
  });
});
