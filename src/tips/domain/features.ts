/**
 * The context feature vector (versioned): what the policy knows about the moment. Values are scaled to about [0, 1]
 * (the mood trend and the time-of-day circle to [-1, 1]) so one exploration width suits all of them.
 */
import { clamp } from '../../core/math.js';
import type { TipsState } from './state.js';
import { localTime, minuteOfDay } from './time.js';

export const contextFeatureVersion = 'context-v1';

export const contextFeatureNames = [
  'bias',
  'task_load',
  'overdue',
  'due_soon',
  'top_priority',
  'habits_at_risk',
  'calendar_density',
  'next_free_window',
  'minutes_to_next_meeting',
  'mood',
  'mood_trend',
  'time_of_day_sin',
  'time_of_day_cos',
  'weekend',
  'since_last_tip',
  'since_last_reaction',
] as const;

export type ContextFeatureName = (typeof contextFeatureNames)[number];

const minute = 60_000;
const hour = 60 * minute;

export interface Facts {
  openTasks: number;
  overdue: number;
  dueSoon: number;
  topPriority: number;
  habitsAtRisk: number;
  busyMinutesNext8h: number;
  /** Minutes from now until the next busy calendar entry starts (undefined: none in the next 24 h). */
  minutesToNextMeeting: number | undefined;
  /** Free minutes from now until the next busy entry (0 when in a meeting now). */
  freeWindowMinutes: number;
  mood: number | undefined;
  moodTrend: number;
  hoursSinceLastTip: number | undefined;
  hoursSinceLastReaction: number | undefined;
}

/** Calendar entries that make the user busy, overlapping [from, to). */
export function busyEntries(state: TipsState, from: number, to: number) {
  return [...state.calendar.values()].filter((entry) => entry.busy && !entry.allDay && entry.end > from && entry.start < to);
}

/** Whether a habit's streak is at risk today: checked in on the previous day (or within the week) but not yet today. */
export function habitStreak(state: TipsState, habitId: string, now: number, timeZone: string): { streak: number; doneToday: boolean } {
  const dates = new Set((state.checkIns.get(habitId) ?? []).filter((at) => at <= now).map((at) => localTime(at, timeZone).date));
  const today = localTime(now, timeZone).date;
  const doneToday = dates.has(today);
  let streak = doneToday ? 1 : 0;
  let cursor = now - 24 * hour;
  for (let day = 0; day < 366; day++) {
    if (!dates.has(localTime(cursor, timeZone).date)) break;
    streak++;
    cursor -= 24 * hour;
  }
  return { streak, doneToday };
}

export function computeFacts(state: TipsState, now: number, timeZone: string): Facts {
  const open = [...state.tasks.values()].filter((task) => !task.done);
  const overdue = open.filter((task) => task.dueAt !== undefined && task.dueAt < now).length;
  const dueSoon = open.filter((task) => task.dueAt !== undefined && task.dueAt >= now && task.dueAt < now + 24 * hour).length;
  const topPriority = open.reduce((top, task) => Math.max(top, task.priority), 0);
  let habitsAtRisk = 0;
  for (const habit of state.habits.values()) {
    if (habit.cadence !== 'daily') continue;
    const { streak, doneToday } = habitStreak(state, habit.habitId, now, timeZone);
    if (!doneToday && streak > 0) habitsAtRisk++;
  }
  const upcoming = busyEntries(state, now, now + 24 * hour).sort((a, b) => a.start - b.start);
  let busyMinutesNext8h = 0;
  for (const entry of busyEntries(state, now, now + 8 * hour))
    busyMinutesNext8h += (Math.min(entry.end, now + 8 * hour) - Math.max(entry.start, now)) / minute;
  const inMeeting = upcoming.some((entry) => entry.start <= now && entry.end > now);
  const next = upcoming.find((entry) => entry.start > now);
  const minutesToNextMeeting = next === undefined ? undefined : (next.start - now) / minute;
  const freeWindowMinutes = inMeeting ? 0 : (minutesToNextMeeting ?? 24 * 60);
  const moods = state.moods.filter((mood) => mood.at <= now && mood.at > now - 7 * 24 * hour).sort((a, b) => a.at - b.at);
  const latest = moods[moods.length - 1];
  const earlier = moods.slice(0, -1);
  const moodTrend =
    latest === undefined || earlier.length === 0 ? 0 : latest.score - earlier.reduce((sum, mood) => sum + mood.score, 0) / earlier.length;
  const decisions = state.decisionOrder.map((id) => state.decisions.get(id)).filter((decision) => decision !== undefined);
  const lastShown = latestOf(decisions.map((decision) => decision.shownAt));
  const lastReaction = latestOf(decisions.map((decision) => decision.reactedAt));
  return {
    openTasks: open.length,
    overdue,
    dueSoon,
    topPriority,
    habitsAtRisk,
    busyMinutesNext8h,
    minutesToNextMeeting,
    freeWindowMinutes,
    mood: latest?.score,
    moodTrend,
    hoursSinceLastTip: lastShown === undefined ? undefined : (now - lastShown) / hour,
    hoursSinceLastReaction: lastReaction === undefined ? undefined : (now - lastReaction) / hour,
  };
}

function latestOf(times: ReadonlyArray<number | undefined>): number | undefined {
  const known = times.filter((time): time is number => time !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
}

export function contextFeatures(facts: Facts, now: number, timeZone: string, dayType?: string): number[] {
  const local = localTime(now, timeZone);
  const angle = (2 * Math.PI * minuteOfDay(local)) / 1_440;
  const weekend = dayType === undefined ? local.weekday === 0 || local.weekday === 6 : dayType !== 'workday';
  const values: Record<ContextFeatureName, number> = {
    bias: 1,
    task_load: clamp(facts.openTasks / 20),
    overdue: clamp(facts.overdue / 5),
    due_soon: clamp(facts.dueSoon / 5),
    top_priority: facts.topPriority / 4,
    habits_at_risk: clamp(facts.habitsAtRisk / 3),
    calendar_density: clamp(facts.busyMinutesNext8h / 480),
    next_free_window: clamp(facts.freeWindowMinutes / 120),
    minutes_to_next_meeting: facts.minutesToNextMeeting === undefined ? 1 : clamp(facts.minutesToNextMeeting / 240),
    mood: facts.mood === undefined ? 0.5 : (facts.mood - 1) / 4,
    mood_trend: clamp(facts.moodTrend / 4, -1, 1),
    time_of_day_sin: Math.sin(angle),
    time_of_day_cos: Math.cos(angle),
    weekend: weekend ? 1 : 0,
    since_last_tip: facts.hoursSinceLastTip === undefined ? 1 : clamp(facts.hoursSinceLastTip / 24),
    since_last_reaction: facts.hoursSinceLastReaction === undefined ? 1 : clamp(facts.hoursSinceLastReaction / 24),
  };
  return contextFeatureNames.map((name) => round(values[name]));
}

/** Six decimals: logged vectors stay short and re-derive exactly from their JSON. */
export function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** The arm's own features: which rule made it, its length, its priority and the rule's salience. */
export const armFeatureNames = [
  'nothing',
  'overdue',
  'free_window',
  'due_soon',
  'task',
  'habit',
  'advice',
  'llm',
  'minutes',
  'priority',
  'salience',
] as const;

export type ArmGroup = (typeof armFeatureNames)[number];

export function armFeatures(group: ArmGroup, minutes: number, priority: number, salience: number): number[] {
  const vector: number[] = armFeatureNames.map((name) => (name === group ? 1 : 0));
  vector[8] = round(clamp(minutes / 60));
  vector[9] = round(clamp(priority / 4));
  vector[10] = round(clamp(salience));
  return vector;
}

/** The policy's input: the outer product of the context and the arm features, flattened. */
export function crossFeatures(context: readonly number[], arm: readonly number[]): number[] {
  const out: number[] = [];
  for (const c of context) for (const a of arm) out.push(round(c * a));
  return out;
}

export const policyDimension = contextFeatureNames.length * armFeatureNames.length;
