/**
 * Candidates: rule generators over the state, plus candidates a model proposed (validated at the edge), filtered
 * (done keys never return, "not now" snoozes, dismissed and helpful keys rest for the dedup window, near-duplicates of
 * tips shown in that window are dropped), and "show nothing", which is always a candidate.
 */
import type { CandidateKind, CandidateSource } from './events.js';
import { type ArmGroup, computeFacts, type Facts, habitStreak } from './features.js';
import { jaccard } from './similarity.js';
import type { TipsState } from './state.js';
import { clockText, localTime } from './time.js';

export interface Candidate {
  key: string;
  kind: CandidateKind;
  rule: string;
  group: ArmGroup;
  text: string;
  rationale: string;
  sourceSignalIds: string[];
  minutes: number;
  priority: number;
  /** The rule's own sense of urgency in [0, 1]; an arm feature. */
  salience: number;
  source: CandidateSource;
}

export interface CandidateSettings {
  dedupDays: number;
  snoozeMinutes: number;
  /** Jaccard similarity at or above which a candidate is a near-duplicate of a recent tip. */
  duplicateThreshold: number;
}

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

export const maxTipLength = 140;

/** Shortens to `max` characters at a word boundary, with an ellipsis. */
export function clip(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,.;:-]+$/, '')}…`;
}

/** A tip text of at most 140 characters, the title clipped to make room for the template around it. */
function phrase(template: (title: string) => string, title: string): string {
  const room = maxTipLength - template('').length;
  return template(clip(title, Math.max(10, room)));
}

function overdueLabel(daysLate: number): string {
  if (daysLate <= 0) return 'Overdue';
  return daysLate === 1 ? 'Overdue since yesterday' : `Overdue ${daysLate} days`;
}

/** `today`, `by 16:00`, `tomorrow 09:00`: when a task is due, as the user's clock says it. */
function dueLabel(dueAt: number, allDay: boolean, now: number, timeZone: string): string {
  const sameDay = localTime(dueAt, timeZone).date === localTime(now, timeZone).date;
  if (allDay) return sameDay ? 'today' : 'tomorrow';
  return sameDay ? `by ${clockText(dueAt, timeZone)}` : `tomorrow ${clockText(dueAt, timeZone)}`;
}

export function nothingCandidate(): Candidate {
  return {
    key: 'nothing',
    kind: 'nothing',
    rule: 'nothing',
    group: 'nothing',
    text: 'Nothing needs you right now.',
    rationale: 'Showing nothing is always an option.',
    sourceSignalIds: [],
    minutes: 0,
    priority: 0,
    salience: 0,
    source: 'none',
  };
}

type OpenTask = TipsState['tasks'] extends ReadonlyMap<string, infer Task> ? Task : never;

interface RuleInput {
  state: TipsState;
  now: number;
  timeZone: string;
  facts: Facts;
  /** Open tasks (not done). */
  open: OpenTask[];
}

const byUrgency = (a: OpenTask, b: OpenTask) =>
  b.priority - a.priority ||
  (a.dueAt ?? Number.POSITIVE_INFINITY) - (b.dueAt ?? Number.POSITIVE_INFINITY) ||
  a.taskId.localeCompare(b.taskId);

/** An overdue task, most urgent first. */
function overdueTasks({ now, open }: RuleInput, out: Candidate[]): void {
  for (const task of open
    .filter((candidate) => candidate.dueAt !== undefined && candidate.dueAt < now)
    .sort(byUrgency)
    .slice(0, 3)) {
    const daysLate = Math.floor((now - (task.dueAt as number)) / day);
    out.push({
      key: `task:${task.taskId}`,
      kind: 'todo',
      rule: 'overdue',
      group: 'overdue',
      text: phrase((title) => `${overdueLabel(daysLate)}: ${title}. Do it now, or give it a new date.`, task.title),
      rationale: `It was due ${daysLate === 0 ? 'earlier today' : daysLate === 1 ? 'yesterday' : `${daysLate} days ago`}; priority ${task.priority} of 4.`,
      sourceSignalIds: [task.signalId],
      minutes: task.durationMinutes ?? 15,
      priority: task.priority,
      salience: Math.min(1, 0.55 + 0.1 * task.priority + 0.02 * daysLate),
      source: 'rule',
    });
  }
}

/** A free window before the next meeting, and a task that fits in it. */
function freeWindowTask({ state, now, timeZone, facts, open }: RuleInput, out: Candidate[]): void {
  if (facts.minutesToNextMeeting !== undefined && facts.freeWindowMinutes >= 10 && facts.freeWindowMinutes <= 180) {
    const next = [...state.calendar.values()]
      .filter((entry) => entry.busy && !entry.allDay && entry.start > now)
      .sort((a, b) => a.start - b.start)[0];
    const free = Math.floor(facts.freeWindowMinutes);
    const fitting = open
      .filter((task) => (task.durationMinutes ?? 15) <= free - 5)
      .sort(
        (a, b) => b.priority - a.priority || (a.durationMinutes ?? 15) - (b.durationMinutes ?? 15) || a.taskId.localeCompare(b.taskId),
      )[0];
    if (next && fitting) {
      const minutes = fitting.durationMinutes ?? 15;
      out.push({
        key: `task:${fitting.taskId}`,
        kind: 'todo',
        rule: 'free_window',
        group: 'free_window',
        text: phrase(
          (title) => `${free} free minutes before your ${clockText(next.start, timeZone)}: the ${minutes}-minute task "${title}".`,
          fitting.title,
        ),
        rationale: `"${clip(next.title || 'A busy calendar entry', 60)}" starts in ${free} minutes; this task takes about ${minutes}.`,
        sourceSignalIds: [fitting.signalId, next.signalId],
        minutes,
        priority: fitting.priority,
        salience: 0.7,
        source: 'rule',
      });
    }
  }
}

/** Tasks due within a day. */
function dueSoonTasks({ now, timeZone, open }: RuleInput, out: Candidate[]): void {
  for (const task of open
    .filter((candidate) => candidate.dueAt !== undefined && candidate.dueAt >= now && candidate.dueAt < now + day)
    .sort(byUrgency)
    .slice(0, 3)) {
    const hours = Math.max(1, Math.round(((task.dueAt as number) - now) / hour));
    out.push({
      key: `task:${task.taskId}`,
      kind: 'todo',
      rule: 'due_soon',
      group: 'due_soon',
      text: phrase((title) => `Due ${dueLabel(task.dueAt as number, task.dueAllDay === true, now, timeZone)}: ${title}.`, task.title),
      rationale: `Due in about ${hours} ${hours === 1 ? 'hour' : 'hours'}; priority ${task.priority} of 4.`,
      sourceSignalIds: [task.signalId],
      minutes: task.durationMinutes ?? 15,
      priority: task.priority,
      salience: Math.min(1, 0.45 + 0.1 * task.priority),
      source: 'rule',
    });
  }
}

/** A daily habit whose streak is at risk. */
function habitsAtRisk({ state, now, timeZone }: RuleInput, out: Candidate[]): void {
  for (const habit of [...state.habits.values()].sort((a, b) => a.habitId.localeCompare(b.habitId))) {
    if (habit.cadence !== 'daily') continue;
    const { streak, doneToday } = habitStreak(state, habit.habitId, now, timeZone);
    if (doneToday) continue;
    const today = localTime(now, timeZone).date;
    out.push({
      key: `habit:${habit.habitId}:${today}`,
      kind: 'todo',
      rule: 'habit',
      group: 'habit',
      text: clip(
        streak > 0 ? `Keep your ${streak}-day ${habit.name} streak: not done yet today.` : `${habit.name}: today is a good day to start.`,
        maxTipLength,
      ),
      rationale:
        streak > 0
          ? `Checked in ${streak} ${streak === 1 ? 'day' : 'days'} in a row, but not today.`
          : 'A daily habit with no check-in today.',
      sourceSignalIds: [habit.signalId],
      minutes: 10,
      priority: 2,
      salience: streak > 0 ? Math.min(1, 0.5 + 0.05 * streak) : 0.3,
      source: 'rule',
    });
  }
}

/** Advice when the mood is low. */
function lowMoodAdvice({ state, now, timeZone }: RuleInput, out: Candidate[]): void {
  const lowMood = state.moods.filter((mood) => mood.at <= now && mood.at > now - day).sort((a, b) => b.at - a.at)[0];
  if (lowMood && lowMood.score <= 2) {
    out.push({
      key: `advice:mood-low:${localTime(now, timeZone).date}`,
      kind: 'advice',
      rule: 'mood_low',
      group: 'advice',
      text: 'A rough day. Ten minutes outside, without your phone, tends to help more than it sounds.',
      rationale: `Mood ${lowMood.score}/5 in the last day${lowMood.note ? `: "${clip(lowMood.note, 60)}"` : ''}.`,
      sourceSignalIds: [lowMood.signalId],
      minutes: 10,
      priority: 2,
      salience: 0.6,
      source: 'rule',
    });
  }
}

/** Otherwise, the most important open tasks without a date. */
function undatedTasks({ open }: RuleInput, out: Candidate[]): void {
  for (const task of open
    .filter((candidate) => candidate.dueAt === undefined)
    .sort(byUrgency)
    .slice(0, 3)) {
    out.push({
      key: `task:${task.taskId}`,
      kind: 'todo',
      rule: 'task',
      group: 'task',
      text: phrase((title) => `Next up: ${title}.`, task.title),
      rationale: `An open task${task.project ? ` in ${task.project}` : ''} without a date; priority ${task.priority} of 4.`,
      sourceSignalIds: [task.signalId],
      minutes: task.durationMinutes ?? 15,
      priority: task.priority,
      salience: 0.2 + 0.1 * task.priority,
      source: 'rule',
    });
  }
}

export function ruleCandidates(state: TipsState, now: number, timeZone: string): Candidate[] {
  const input: RuleInput = {
    state,
    now,
    timeZone,
    facts: computeFacts(state, now, timeZone),
    open: [...state.tasks.values()].filter((task) => !task.done),
  };
  const out: Candidate[] = [];
  for (const rule of [overdueTasks, freeWindowTask, dueSoonTasks, habitsAtRisk, lowMoodAdvice, undatedTasks]) rule(input, out);
  return out;
}

/** Why a candidate was dropped, or undefined when it may be shown. */
export function suppression(state: TipsState, candidate: Candidate, now: number, settings: CandidateSettings): string | undefined {
  if (candidate.kind === 'nothing') return undefined;
  if (state.doneKeys.has(candidate.key)) return 'done';
  const window = settings.dedupDays * day;
  for (const id of state.decisionOrder) {
    const decision = state.decisions.get(id);
    if (!decision || decision.shownAt === undefined || decision.shownAt <= now - window) continue;
    const shown = decision.candidates[decision.chosenIndex];
    if (!shown || shown.kind === 'nothing') continue;
    if (decision.reaction === 'not_now') {
      if (shown.key === candidate.key && (decision.reactedAt ?? 0) > now - settings.snoozeMinutes * minute) return 'snoozed';
      continue;
    }
    if (decision.reaction === undefined) continue;
    if (shown.key === candidate.key) return `recently ${decision.reaction}`;
    if (jaccard(shown.text, candidate.text) >= settings.duplicateThreshold) return 'near-duplicate';
  }
  return undefined;
}

/**
 * Rules, then proposed candidates; one per key (the most salient), suppressed ones dropped, and "show nothing" last.
 * `excludeNothing` drops the nothing arm when the user just asked for a tip.
 */
export function buildCandidates(
  state: TipsState,
  now: number,
  timeZone: string,
  settings: CandidateSettings,
  proposed: readonly Candidate[] = [],
  options: { excludeNothing?: boolean } = {},
): { candidates: Candidate[]; suppressed: Array<{ key: string; text: string; reason: string }> } {
  const byKey = new Map<string, Candidate>();
  const suppressed: Array<{ key: string; text: string; reason: string }> = [];
  for (const candidate of [...ruleCandidates(state, now, timeZone), ...proposed]) {
    const reason = suppression(state, candidate, now, settings);
    if (reason) {
      suppressed.push({ key: candidate.key, text: candidate.text, reason });
      continue;
    }
    const existing = byKey.get(candidate.key);
    if (existing && existing.salience >= candidate.salience) continue;
    if (!existing && [...byKey.values()].some((other) => jaccard(other.text, candidate.text) >= settings.duplicateThreshold)) {
      suppressed.push({ key: candidate.key, text: candidate.text, reason: 'near-duplicate' });
      continue;
    }
    byKey.set(candidate.key, candidate);
  }
  const candidates = [...byKey.values()];
  if (!options.excludeNothing || candidates.length === 0) candidates.push(nothingCandidate());
  return { candidates, suppressed };
}
