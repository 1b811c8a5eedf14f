/**
 * The user's tips state: a pure fold of the `user-<id>` stream. Signals become tasks, habits, calendar entries, moods and
 * contexts; decisions collect their shown and reacted events; rewards of decisions that were shown and then reacted to
 * become the model's updates, in the order the reactions arrived (deferred activation: nothing else teaches).
 */
import { fold } from '../../core/decider.js';
import type {
  CalendarSignal,
  ConsentPurpose,
  ContextSignal,
  DecisionData,
  HabitSignal,
  MoodSignal,
  PolicyPromotion,
  Reaction,
  TaskSignal,
  TipsEvent,
} from './events.js';

export interface TrackedDecision extends DecisionData {
  shownAt?: number;
  reaction?: Reaction;
  reward?: number;
  reactedAt?: number;
}

type Signal<T> = T & { signalId: string };

/** Read-only by type: `evolve` returns a new state and never changes the one it is given. */
export interface TipsState {
  /** Stream version folded so far. */
  readonly version: number;
  readonly tasks: ReadonlyMap<string, Signal<TaskSignal>>;
  readonly habits: ReadonlyMap<string, Signal<HabitSignal>>;
  readonly checkIns: ReadonlyMap<string, readonly number[]>;
  readonly calendar: ReadonlyMap<string, Signal<CalendarSignal>>;
  readonly moods: ReadonlyArray<Signal<MoodSignal>>;
  readonly context: Signal<ContextSignal> | undefined;
  readonly decisions: ReadonlyMap<string, TrackedDecision>;
  /** Decision ids in the order they were made. */
  readonly decisionOrder: readonly string[];
  /** What the model learned, in order: the chosen candidate's features and the reward. */
  readonly updates: ReadonlyArray<LearnedReward>;
  /** Keys whose tip was marked done: they never come back. */
  readonly doneKeys: ReadonlySet<string>;
  /** Promotions in order; the last names the serving policy. */
  readonly promotions: readonly PolicyPromotion[];
  /** Consent per purpose as last recorded (absent = never asked). */
  readonly consents: ReadonlyMap<ConsentPurpose, { granted: boolean; noticeVersion: string; at: number }>;
  /** Connected integrations by provider. */
  readonly integrations: ReadonlyMap<string, { connectedAt: number; scope: string }>;
}

export interface LearnedReward {
  decisionId: string;
  features: number[];
  reward: number;
}

export function initialState(): TipsState {
  return {
    version: 0,
    tasks: new Map(),
    habits: new Map(),
    checkIns: new Map(),
    calendar: new Map(),
    moods: [],
    context: undefined,
    decisions: new Map(),
    decisionOrder: [],
    updates: [],
    doneKeys: new Set(),
    promotions: [],
    consents: new Map(),
    integrations: new Map(),
  };
}

/** Folds events onto a state, returning the new state (the given one is left as it was). */
export function foldEvents(state: TipsState, events: Iterable<TipsEvent>): TipsState {
  return fold({ evolve, initialState }, events, state);
}

const withEntry = <Key, Value>(map: ReadonlyMap<Key, Value>, key: Key, value: Value): Map<Key, Value> => new Map(map).set(key, value);

const withCheckIn = (checkIns: TipsState['checkIns'], habitId: string, at: number) =>
  withEntry(checkIns, habitId, [...(checkIns.get(habitId) ?? []), at]);

/** One event onto the state: a new state that shares everything the event did not touch. */
export function evolve(state: TipsState, event: TipsEvent): TipsState {
  const next: TipsState = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'task_recorded':
      return { ...next, tasks: withEntry(state.tasks, event.data.taskId, event.data) };
    case 'habit_defined':
      return { ...next, habits: withEntry(state.habits, event.data.habitId, event.data) };
    case 'habit_checked_in':
      return { ...next, checkIns: withCheckIn(state.checkIns, event.data.habitId, event.data.at) };
    case 'calendar_event_recorded':
      return { ...next, calendar: withEntry(state.calendar, event.data.eventId, event.data) };
    case 'mood_recorded':
      return { ...next, moods: [...state.moods, event.data] };
    case 'context_recorded':
      return { ...next, context: event.data };
    case 'tip_decided':
      return {
        ...next,
        decisions: withEntry(state.decisions, event.data.decisionId, { ...event.data }),
        decisionOrder: [...state.decisionOrder, event.data.decisionId],
      };
    case 'policy_promoted':
      return { ...next, promotions: [...state.promotions, event.data] };
    case 'consent_given':
    case 'consent_revoked': {
      const record = { granted: event.type === 'consent_given', noticeVersion: event.data.noticeVersion, at: event.data.at };
      return { ...next, consents: withEntry(state.consents, event.data.purpose, record) };
    }
    case 'integration_connected':
      return {
        ...next,
        integrations: withEntry(state.integrations, event.data.provider, { connectedAt: event.data.at, scope: event.data.scope }),
      };
    case 'integration_disconnected': {
      const integrations = new Map(state.integrations);
      integrations.delete(event.data.provider);
      return { ...next, integrations };
    }
    case 'tip_shown': {
      const decision = state.decisions.get(event.data.decisionId);
      if (!decision || decision.shownAt !== undefined) return next;
      return { ...next, decisions: withEntry(state.decisions, decision.decisionId, { ...decision, shownAt: event.data.at }) };
    }
    case 'tip_reacted':
      return reacted(next, event.data);
    default:
      return next;
  }
}

/** A reaction to a shown, unreacted decision: its reward is learned; "done" retires the key, the task or today's check-in. */
function reacted(state: TipsState, data: { decisionId: string; reaction: Reaction; reward: number; at: number }): TipsState {
  const decision = state.decisions.get(data.decisionId);
  if (!decision || decision.shownAt === undefined || decision.reaction !== undefined) return state;
  const tracked: TrackedDecision = { ...decision, reaction: data.reaction, reward: data.reward, reactedAt: data.at };
  const next: TipsState = { ...state, decisions: withEntry(state.decisions, decision.decisionId, tracked) };
  const chosen = decision.candidates[decision.chosenIndex];
  if (!chosen) return next;
  const learned: TipsState = {
    ...next,
    updates: [...state.updates, { decisionId: decision.decisionId, features: chosen.features, reward: data.reward }],
  };
  if (data.reaction !== 'done' || chosen.kind === 'nothing') return learned;
  let done: TipsState = { ...learned, doneKeys: new Set(state.doneKeys).add(chosen.key) };
  // A done tip about a task completes the task; one about a habit is today's check-in.
  const task = chosen.key.startsWith('task:') ? state.tasks.get(chosen.key.slice(5)) : undefined;
  if (task) done = { ...done, tasks: withEntry(state.tasks, task.taskId, { ...task, done: true }) };
  const habitId = chosen.key.startsWith('habit:') ? chosen.key.split(':')[1] : undefined;
  if (habitId !== undefined && state.habits.has(habitId)) done = { ...done, checkIns: withCheckIn(state.checkIns, habitId, data.at) };
  return done;
}

/** The latest decision that is not yet reacted to, if any. */
export function openDecision(state: TipsState): TrackedDecision | undefined {
  const last = state.decisionOrder[state.decisionOrder.length - 1];
  const decision = last === undefined ? undefined : state.decisions.get(last);
  return decision && decision.reaction === undefined ? decision : undefined;
}

/** The serving policy: the last promoted one, or `fallback` (the configured policy). */
export function servingPolicy(state: TipsState, fallback: string): string {
  return state.promotions[state.promotions.length - 1]?.policy ?? fallback;
}

/** Whether a purpose is consented to: the last record, or `byDefault` when never asked. */
export function consented(state: TipsState, purpose: ConsentPurpose, byDefault: boolean): boolean {
  return state.consents.get(purpose)?.granted ?? byDefault;
}

/**
 * The state as the policy may see it: signals of purposes without consent are left out (tasks, calendar, mood), so
 * their features and candidates vanish from the next decision at once. Decisions and learned rewards stay.
 */
export function consentedView(state: TipsState, byDefault: boolean): TipsState {
  const tasks = consented(state, 'tasks', byDefault);
  const calendar = consented(state, 'calendar', byDefault);
  const mood = consented(state, 'mood', byDefault);
  if (tasks && calendar && mood) return state;
  return {
    ...state,
    tasks: tasks ? state.tasks : new Map(),
    calendar: calendar ? state.calendar : new Map(),
    moods: mood ? state.moods : [],
  };
}
