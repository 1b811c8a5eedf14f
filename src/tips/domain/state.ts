/**
 * The user's tips state: a fold of the `user-<id>` stream. Signals become tasks, habits, calendar entries, moods and
 * contexts; decisions collect their shown and reacted events; rewards of decisions that were shown and then reacted to
 * become the model's updates, in the order the reactions arrived (deferred activation: nothing else teaches).
 */
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

export interface TipsState {
  /** Stream version folded so far. */
  version: number;
  tasks: Map<string, TaskSignal & { signalId: string }>;
  habits: Map<string, HabitSignal & { signalId: string }>;
  checkIns: Map<string, number[]>;
  calendar: Map<string, CalendarSignal & { signalId: string }>;
  moods: Array<MoodSignal & { signalId: string }>;
  context: (ContextSignal & { signalId: string }) | undefined;
  decisions: Map<string, TrackedDecision>;
  /** Decision ids in the order they were made. */
  decisionOrder: string[];
  /** What the model learned, in order: the chosen candidate's features and the reward. */
  updates: Array<{ decisionId: string; features: number[]; reward: number }>;
  /** Keys whose tip was marked done: they never come back. */
  doneKeys: Set<string>;
  /** Promotions in order; the last names the serving policy. */
  promotions: PolicyPromotion[];
  /** Consent per purpose as last recorded (absent = never asked). */
  consents: Map<ConsentPurpose, { granted: boolean; noticeVersion: string; at: number }>;
  /** Connected integrations by provider. */
  integrations: Map<string, { connectedAt: number; scope: string }>;
}

export function emptyState(): TipsState {
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

export function foldEvents(state: TipsState, events: Iterable<TipsEvent>): TipsState {
  for (const event of events) applyEvent(state, event);
  return state;
}

export function applyEvent(state: TipsState, event: TipsEvent): void {
  state.version++;
  switch (event.type) {
    case 'tips.task_recorded':
      state.tasks.set(event.data.taskId, event.data);
      return;
    case 'tips.habit_defined':
      state.habits.set(event.data.habitId, event.data);
      return;
    case 'tips.habit_checked_in': {
      const list = state.checkIns.get(event.data.habitId) ?? [];
      list.push(event.data.at);
      state.checkIns.set(event.data.habitId, list);
      return;
    }
    case 'tips.calendar_event_recorded':
      state.calendar.set(event.data.eventId, event.data);
      return;
    case 'tips.mood_recorded':
      state.moods.push(event.data);
      return;
    case 'tips.context_recorded':
      state.context = event.data;
      return;
    case 'tips.tip_decided':
      state.decisions.set(event.data.decisionId, { ...event.data });
      state.decisionOrder.push(event.data.decisionId);
      return;
    case 'tips.policy_promoted':
      state.promotions.push(event.data);
      return;
    case 'tips.consent_given':
    case 'tips.consent_revoked':
      state.consents.set(event.data.purpose, {
        granted: event.type === 'tips.consent_given',
        noticeVersion: event.data.noticeVersion,
        at: event.data.at,
      });
      return;
    case 'tips.integration_connected':
      state.integrations.set(event.data.provider, { connectedAt: event.data.at, scope: event.data.scope });
      return;
    case 'tips.integration_disconnected':
      state.integrations.delete(event.data.provider);
      return;
    case 'tips.tip_shown': {
      const decision = state.decisions.get(event.data.decisionId);
      if (decision && decision.shownAt === undefined) decision.shownAt = event.data.at;
      return;
    }
    case 'tips.tip_reacted': {
      const decision = state.decisions.get(event.data.decisionId);
      if (!decision || decision.shownAt === undefined || decision.reaction !== undefined) return;
      decision.reaction = event.data.reaction;
      decision.reward = event.data.reward;
      decision.reactedAt = event.data.at;
      const chosen = decision.candidates[decision.chosenIndex];
      if (!chosen) return;
      state.updates.push({ decisionId: decision.decisionId, features: chosen.features, reward: event.data.reward });
      if (event.data.reaction === 'done' && chosen.kind !== 'nothing') {
        state.doneKeys.add(chosen.key);
        // A done tip about a task completes the task; one about a habit is today's check-in.
        const task = chosen.key.startsWith('task:') ? state.tasks.get(chosen.key.slice(5)) : undefined;
        if (task) state.tasks.set(task.taskId, { ...task, done: true });
        const habitId = chosen.key.startsWith('habit:') ? chosen.key.split(':')[1] : undefined;
        if (habitId !== undefined && state.habits.has(habitId)) {
          const list = state.checkIns.get(habitId) ?? [];
          list.push(event.data.at);
          state.checkIns.set(habitId, list);
        }
      }
      return;
    }
  }
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
