import { describe, expect, it } from 'vitest';
import { buildCandidates, type CandidateSettings, maxTipLength } from './candidates.js';
import type { TipsEvent } from './events.js';
import { armFeatures, computeFacts, contextFeatureNames, contextFeatures, crossFeatures, policyDimension } from './features.js';
import { chooseArm, LinUcbModel } from './linucb.js';
import { chooseTip, gate, modelFor, rederive } from './policy.js';
import { foldEvents, initialState, openDecision, type TipsState } from './state.js';
import { zonedTimeToEpoch } from './time.js';

const zone = 'Europe/Helsinki';
const at = (hour: number, minute = 0, day = 23) => zonedTimeToEpoch({ year: 2026, month: 11, day, hour, minute }, zone);
const minute = 60_000;
const settings: CandidateSettings = { dedupDays: 14, snoozeMinutes: 120, duplicateThreshold: 0.75 };
const bandit = { alpha: 0.5, lambda: 1, epsilon: 0.1 };

function given(...events: TipsEvent[]): TipsState {
  return foldEvents(initialState(), events);
}

const task = (
  taskId: string,
  title: string,
  extra: Partial<{ dueAt: number; priority: number; durationMinutes: number }> = {},
): TipsEvent => ({
  type: 'task_recorded',
  data: { signalId: `sig-${taskId}`, taskId, title, priority: 1, done: false, source: 'manual', ...extra },
});

/** Decides, shows and (optionally) reacts; returns the decision and the state after. */
function decideAndShow(state: TipsState, now: number, id: string, reaction?: 'done' | 'helpful' | 'not_now' | 'dismiss', reward = 1) {
  const { candidates } = buildCandidates(state, now, zone, settings);
  const decision = chooseTip({ state, model: modelFor(state, bandit), decisionId: id, now, timeZone: zone, candidates });
  const events: TipsEvent[] = [
    { type: 'tip_decided', data: decision },
    { type: 'tip_shown', data: { decisionId: id, at: now } },
  ];
  if (reaction) events.push({ type: 'tip_reacted', data: { decisionId: id, reaction, reward, at: now + minute } });
  return { decision, state: foldEvents(state, events) };
}

describe('candidates', () => {
  it('given an overdue urgent task, when candidates are built, then it is a todo with its signal and "show nothing" is there too', () => {
    const state = given(task('t1', 'File the tax return', { dueAt: at(9) - 2 * 24 * 60 * minute, priority: 4 }));
    const { candidates } = buildCandidates(state, at(10), zone, settings);
    expect(candidates.map((candidate) => [candidate.rule, candidate.key])).toEqual([
      ['overdue', 'task:t1'],
      ['nothing', 'nothing'],
    ]);
    expect(candidates[0]?.text).toBe('Overdue 2 days: File the tax return. Do it now, or give it a new date.');
    expect(candidates[0]?.sourceSignalIds).toEqual(['sig-t1']);
  });

  it('given 25 free minutes before a 10:00 meeting, when candidates are built, then a 10-minute task is offered for the window', () => {
    const state = given(
      task('t2', 'Reply to Aino', { durationMinutes: 10, priority: 2 }),
      task('t3', 'Write the report', { durationMinutes: 90 }),
      {
        type: 'calendar_event_recorded',
        data: {
          signalId: 'sig-m',
          eventId: 'm1',
          title: 'Standup',
          start: at(10),
          end: at(10, 30),
          busy: true,
          allDay: false,
          source: 'manual',
        },
      },
    );
    const window = buildCandidates(state, at(9, 35), zone, settings).candidates.find((candidate) => candidate.rule === 'free_window');
    expect(window?.text).toBe('25 free minutes before your 10:00: the 10-minute task "Reply to Aino".');
    expect(window?.sourceSignalIds).toEqual(['sig-t2', 'sig-m']);
  });

  it('given a daily habit checked in the last three days but not today, then its streak is at risk', () => {
    const state = given(
      { type: 'habit_defined', data: { signalId: 'sig-h', habitId: 'stretch', name: 'stretching', cadence: 'daily' } },
      ...[1, 2, 3].map(
        (daysAgo): TipsEvent => ({
          type: 'habit_checked_in',
          data: { signalId: `c${daysAgo}`, habitId: 'stretch', at: at(8) - daysAgo * 24 * 60 * minute },
        }),
      ),
    );
    expect(computeFacts(state, at(18), zone).habitsAtRisk).toBe(1);
    const habit = buildCandidates(state, at(18), zone, settings).candidates.find((candidate) => candidate.rule === 'habit');
    expect(habit?.text).toBe('Keep your 3-day stretching streak: not done yet today.');
  });

  it('given a low mood today, then advice is offered; given a good mood, it is not', () => {
    const low = given({ type: 'mood_recorded', data: { signalId: 'mood1', score: 2, note: 'tired', at: at(8) } });
    expect(buildCandidates(low, at(12), zone, settings).candidates.some((candidate) => candidate.rule === 'mood_low')).toBe(true);
    const fine = given({ type: 'mood_recorded', data: { signalId: 'mood2', score: 4, at: at(8) } });
    expect(buildCandidates(fine, at(12), zone, settings).candidates.some((candidate) => candidate.rule === 'mood_low')).toBe(false);
  });

  it('given a very long task title, then the tip text stays within 140 characters', () => {
    const state = given(task('long', 'word '.repeat(80).trim(), { dueAt: at(8), priority: 3 }));
    for (const candidate of buildCandidates(state, at(10), zone, settings).candidates)
      expect(candidate.text.length).toBeLessThanOrEqual(maxTipLength);
  });

  it('given a task tip marked done, then no candidate about that task ever comes back and the task is done', () => {
    let state = given(task('t1', 'Call the dentist', { priority: 4 }), task('t2', 'Water the plants'));
    let now = at(10);
    let doneKey: string | undefined;
    for (let round = 0; round < 6 && doneKey === undefined; round++) {
      const shown = decideAndShow(state, now, `d-${round}`);
      const decision = shown.decision;
      const chosen = decision.candidates[decision.chosenIndex];
      state = foldEvents(shown.state, [
        {
          type: 'tip_reacted',
          data: { decisionId: decision.decisionId, reaction: chosen?.kind === 'nothing' ? 'dismiss' : 'done', reward: 1, at: now },
        },
      ]);
      if (chosen?.kind !== 'nothing') doneKey = chosen?.key;
      now += 10 * minute;
    }
    expect(doneKey).toBeDefined();
    expect(state.tasks.get((doneKey as string).slice(5))?.done).toBe(true);
    for (const later of [now, now + 30 * 24 * 60 * minute])
      expect(buildCandidates(state, later, zone, settings).candidates.map((candidate) => candidate.key)).not.toContain(doneKey);
  });

  it('given "not now", then the tip is snoozed for the snooze time and then returns', () => {
    const { state: shown, decision } = decideAndShow(given(task('t1', 'Book the car service', { priority: 3 })), at(10), 'd-1');
    const key = decision.candidates[decision.chosenIndex]?.key;
    expect(key).toBe('task:t1'); // deterministic for this decision id
    const state = foldEvents(shown, [{ type: 'tip_reacted', data: { decisionId: 'd-1', reaction: 'not_now', reward: 0.1, at: at(10) } }]);
    expect(buildCandidates(state, at(11), zone, settings).suppressed.map((entry) => [entry.key, entry.reason])).toContainEqual([
      key,
      'snoozed',
    ]);
    expect(buildCandidates(state, at(12, 30), zone, settings).candidates.map((candidate) => candidate.key)).toContain(key);
  });
});

describe('features', () => {
  it('given no signals, then the context vector has its documented length, a bias of 1 and neutral defaults', () => {
    const values = contextFeatures(computeFacts(initialState(), at(12), zone), at(12), zone);
    expect(values).toHaveLength(contextFeatureNames.length);
    expect(values[0]).toBe(1);
    expect(values[contextFeatureNames.indexOf('mood')]).toBe(0.5);
    expect(policyDimension).toBe(contextFeatureNames.length * 11);
  });

  it('given a meeting in 45 minutes and one later, then minutes to the next meeting and calendar density follow', () => {
    const state = given(
      {
        type: 'calendar_event_recorded',
        data: { signalId: 'a', eventId: 'a', title: 'A', start: at(12, 45), end: at(13, 45), busy: true, allDay: false, source: 'manual' },
      },
      {
        type: 'calendar_event_recorded',
        data: { signalId: 'b', eventId: 'b', title: 'B', start: at(15), end: at(16), busy: false, allDay: false, source: 'manual' },
      },
    );
    const facts = computeFacts(state, at(12), zone);
    expect(facts.minutesToNextMeeting).toBe(45);
    expect(facts.busyMinutesNext8h).toBe(60);
  });
});

describe('policy', () => {
  it('given candidates, when a decision is made, then every propensity is >= epsilon/K, they sum to 1, and it re-derives', () => {
    let state = given(task('a', 'One', { priority: 4, dueAt: at(8) }), task('b', 'Two', { priority: 2 }), task('c', 'Three'));
    for (let round = 0; round < 30; round++) {
      const shown = decideAndShow(
        state,
        at(10) + round * minute,
        `local-${round + 1}`,
        round % 2 === 0 ? 'helpful' : 'dismiss',
        round % 2 === 0 ? 0.8 : 0,
      );
      const decision = shown.decision;
      state = shown.state;
      const k = decision.candidates.length;
      const propensities = decision.candidates.map((candidate) => candidate.propensity);
      expect(Math.min(...propensities)).toBeGreaterThanOrEqual(bandit.epsilon / k - 1e-12);
      expect(propensities.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 12);
      expect(decision.policyVersion).toBe(`linucb-v1/${round}`);
    }
    for (const id of state.decisionOrder) {
      const decision = state.decisions.get(id);
      if (!decision) throw new Error(id);
      const again = rederive(state, JSON.parse(JSON.stringify(decision)));
      expect(again.chosenIndex).toBe(decision.chosenIndex);
      expect(again.propensities).toEqual(decision.candidates.map((candidate) => candidate.propensity));
    }
  });

  it('given a decision that was never shown, when a reaction arrives, then it teaches nothing (deferred activation)', () => {
    const start = given(task('a', 'One'));
    const { candidates } = buildCandidates(start, at(10), zone, settings);
    const decision = chooseTip({ state: start, model: modelFor(start, bandit), decisionId: 'x', now: at(10), timeZone: zone, candidates });
    const unshown = foldEvents(start, [
      { type: 'tip_decided', data: decision },
      { type: 'tip_reacted', data: { decisionId: 'x', reaction: 'done', reward: 1, at: at(10) } },
    ]);
    expect(unshown.updates).toEqual([]);
    expect(openDecision(unshown)?.decisionId).toBe('x');
    const state = foldEvents(unshown, [
      { type: 'tip_shown', data: { decisionId: 'x', at: at(10) } },
      { type: 'tip_reacted', data: { decisionId: 'x', reaction: 'done', reward: 1, at: at(10) } },
    ]);
    expect(state.updates).toHaveLength(1);
    expect(openDecision(state)).toBeUndefined();
  });

  it('given quiet hours 22:00-07:00, then 23:30 and 06:59 are quiet and 07:00 is open', () => {
    const quiet = { quietStart: 22 * 60, quietEnd: 7 * 60, dailyBudget: 0 };
    expect(gate(initialState(), at(23, 30), zone, quiet)).toEqual({ open: false, reason: 'quiet_hours' });
    expect(gate(initialState(), at(6, 59), zone, quiet)).toEqual({ open: false, reason: 'quiet_hours' });
    expect(gate(initialState(), at(7), zone, quiet)).toEqual({ open: true });
  });

  it('given a daily budget of 2 and two tips shown today, then the gate closes until tomorrow', () => {
    const start = given(task('a', 'One', { priority: 4 }), task('b', 'Two', { priority: 3 }), task('c', 'Three', { priority: 2 }));
    const { state } = decideAndShow(decideAndShow(start, at(9), 'b-1', 'helpful').state, at(9, 5), 'b-2', 'helpful');
    const shownTips = [...state.decisions.values()].filter(
      (decision) => decision.candidates[decision.chosenIndex]?.kind !== 'nothing',
    ).length;
    const budget = { quietStart: 0, quietEnd: 0, dailyBudget: shownTips };
    expect(gate(state, at(12), zone, budget)).toEqual({ open: false, reason: 'budget' });
    expect(gate(state, at(12, 0, 24), zone, budget)).toEqual({ open: true });
  });
});

describe('learning in the product feature space', () => {
  it('given a user who marks tasks done but dismisses advice and "nothing", when 300 tips were shown, then tasks win nearly always', () => {
    const state = given(task('a', 'One', { priority: 2 }), { type: 'mood_recorded', data: { signalId: 'm', score: 2, at: at(8) } });
    const context = contextFeatures(computeFacts(state, at(10), zone), at(10), zone);
    const arms = [armFeatures('advice', 10, 2, 0.6), armFeatures('task', 15, 2, 0.4), armFeatures('nothing', 0, 0, 0)];
    const reward = [0, 1, 0];
    const model = new LinUcbModel(policyDimension, bandit);
    const chosen: number[] = [];
    for (let round = 0; round < 300; round++) {
      const features = arms.map((arm) => crossFeatures(context, arm));
      const choice = chooseArm(model, `learn-${round}`, features);
      chosen.push(choice.chosen);
      model.update(features[choice.chosen] as number[], reward[choice.chosen] as number);
    }
    const lastHundred = chosen.slice(-100);
    expect(lastHundred.filter((index) => index === 1).length).toBeGreaterThanOrEqual(85);
  });
});
