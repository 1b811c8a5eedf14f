/**
 * Queries for the pages: the tip with its receipt (why this, from which signals, the runner-up), the signals overview
 * and the decision log with local times. Data only; the http/ pages render it.
 */
import type { LoggedCandidate } from '../domain/events.js';
import { runnerUp } from '../domain/policy.js';
import type { TipsState, TrackedDecision } from '../domain/state.js';
import { clockText, localTime } from '../domain/time.js';
import { readDecisionLog } from '../read-model/decision-log.js';
import { gateSettings, type TipsContext, timeZoneOf } from './context.js';
import { type ConsentStatus, consents } from './privacy.js';
import type { NextResult } from './serving.js';

export interface Receipt {
  signals: string[];
  runnerUp: LoggedCandidate | undefined;
  rule: string;
  rationale: string;
}

export type TipView =
  | { status: 'tip'; decision: TrackedDecision; receipt: Receipt }
  | { status: 'quiet'; reason: 'quiet_hours' | 'budget'; until: string }
  | { status: 'error'; message: string };

/** The user's clock: now, their zone, and now as HH:MM there. */
export interface LocalClock {
  now: number;
  timeZone: string;
  text: string;
}

export async function localClock(context: Pick<TipsContext, 'states' | 'clock' | 'defaultTimeZone'>, userId: string): Promise<LocalClock> {
  const state = await context.states.load(userId);
  const timeZone = timeZoneOf(context, state);
  const now = context.clock.now();
  return { now, timeZone, text: clockText(now, timeZone) };
}

function describeSignal(state: TipsState, signalId: string, timeZone: string): string | undefined {
  for (const task of state.tasks.values())
    if (task.signalId === signalId)
      return `Task "${task.title}"${task.dueAt ? `, due ${localTime(task.dueAt, timeZone).date} ${clockText(task.dueAt, timeZone)}` : ''}, priority ${task.priority}`;
  for (const habit of state.habits.values()) if (habit.signalId === signalId) return `Habit "${habit.name}"`;
  for (const entry of state.calendar.values())
    if (entry.signalId === signalId) return `Calendar "${entry.title || 'busy'}" at ${clockText(entry.start, timeZone)}`;
  for (const mood of state.moods) if (mood.signalId === signalId) return `Mood ${mood.score}/5${mood.note ? ` ("${mood.note}")` : ''}`;
  return undefined;
}

function receiptOf(state: TipsState, decision: TrackedDecision, timeZone: string): Receipt {
  const chosen = decision.candidates[decision.chosenIndex];
  return {
    signals: (chosen?.sourceSignalIds ?? []).map((id) => describeSignal(state, id, timeZone) ?? id),
    runnerUp: runnerUp(decision),
    rule: chosen?.rule ?? '',
    rationale: chosen?.rationale ?? '',
  };
}

function formatMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export async function tipView(
  context: Pick<TipsContext, 'states' | 'config' | 'defaultTimeZone'>,
  userId: string,
  next: NextResult,
): Promise<TipView> {
  if (next.status === 'quiet') {
    const { quietStart, quietEnd } = gateSettings(context.config);
    return { status: 'quiet', reason: next.reason, until: quietEnd === quietStart ? 'tomorrow' : formatMinutes(quietEnd) };
  }
  const state = await context.states.load(userId);
  return { status: 'tip', decision: next.decision, receipt: receiptOf(state, next.decision, timeZoneOf(context, state)) };
}

export interface SignalsOverview {
  userId: string;
  timeZone: string;
  counts: { tasks: number; habits: number; calendar: number; moods: number; decisions: number };
  habits: Array<{ habitId: string; name: string }>;
  consents: ConsentStatus[];
  noticeVersion: string;
  /** Todoist OAuth is configured; `connected` when a token is vaulted. */
  todoist: { oauth: boolean; connected: boolean };
}

export async function signalsOverview(
  context: Pick<TipsContext, 'states' | 'config' | 'defaultTimeZone'>,
  userId: string,
): Promise<SignalsOverview> {
  const state = await context.states.load(userId);
  return {
    userId,
    timeZone: timeZoneOf(context, state),
    counts: {
      tasks: state.tasks.size,
      habits: state.habits.size,
      calendar: state.calendar.size,
      moods: state.moods.length,
      decisions: state.decisionOrder.length,
    },
    habits: [...state.habits.values()].map((habit) => ({ habitId: habit.habitId, name: habit.name })),
    consents: await consents(context, userId),
    noticeVersion: context.config.notice_version,
    todoist: { oauth: context.config.todoist_client_id !== '', connected: state.integrations.has('todoist') },
  };
}

export interface LogRow {
  decisionId: string;
  when: string;
  kind: string;
  text: string;
  propensity: number;
  candidates: number;
  reaction: string | null;
  reward: number | null;
  shown: boolean;
  policyVersion: string;
}

export async function decisionLogRows(
  context: Pick<TipsContext, 'states' | 'database' | 'defaultTimeZone'>,
  userId: string,
  limit: number,
): Promise<{ rows: LogRow[]; timeZone: string }> {
  const state = await context.states.load(userId);
  const timeZone = timeZoneOf(context, state);
  const entries = await readDecisionLog(context.database.db, context.database.dialect, userId, { limit });
  const rows = entries.map((entry) => ({
    decisionId: entry.decisionId,
    when: `${localTime(entry.decidedAt, timeZone).date} ${clockText(entry.decidedAt, timeZone)}`,
    kind: entry.record.candidates[entry.record.chosenIndex]?.kind ?? '',
    text: entry.chosenText,
    propensity: entry.propensity,
    candidates: entry.record.candidates.length,
    reaction: entry.reaction,
    reward: entry.reward,
    shown: entry.shownAt !== null,
    policyVersion: entry.policyVersion,
  }));
  return { rows, timeZone };
}
