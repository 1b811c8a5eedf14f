/**
 * The events of the tips product, all on the user's stream `user-<id>`: signals (tasks, habits, calendar, mood,
 * context) and the decision lifecycle (decided -> shown -> reacted). A typed union; see `Recorded` in the store.
 * Types are snake_case without a product prefix (docs/naming.md); the old prefixed names are upcast on read.
 */
import { z } from 'zod';

export const priorities = [1, 2, 3, 4] as const;
export const reactions = ['done', 'helpful', 'not_now', 'dismiss'] as const;
export type Reaction = (typeof reactions)[number];

export const dayTypes = ['workday', 'weekend', 'holiday', 'vacation'] as const;

const text = (max: number) => z.string().trim().min(1).max(max);

export const taskSignalSchema = z.strictObject({
  taskId: text(120),
  title: text(300),
  project: z.string().trim().max(120).optional(),
  /** Epoch milliseconds. */
  dueAt: z.number().int().optional(),
  /** True when only the date is known (due by the end of that day). */
  dueAllDay: z.boolean().optional(),
  /** 1 (normal) .. 4 (urgent), as Todoist's API numbers them. */
  priority: z.number().int().min(1).max(4).default(1),
  durationMinutes: z.number().int().min(1).max(1_440).optional(),
  done: z.boolean().default(false),
  source: z.enum(['manual', 'todoist']).default('manual'),
});

export const habitSignalSchema = z.strictObject({
  habitId: text(120),
  name: text(120),
  cadence: z.enum(['daily', 'weekly']).default('daily'),
});

export const checkInSignalSchema = z.strictObject({
  habitId: text(120),
  at: z.number().int(),
});

export const calendarSignalSchema = z.strictObject({
  eventId: text(300),
  title: z.string().trim().max(300).default(''),
  start: z.number().int(),
  end: z.number().int(),
  busy: z.boolean().default(true),
  allDay: z.boolean().default(false),
  source: z.enum(['manual', 'ics']).default('manual'),
});

export const moodSignalSchema = z.strictObject({
  score: z.number().int().min(1).max(5),
  note: z.string().trim().max(500).optional(),
  at: z.number().int(),
});

export const contextSignalSchema = z.strictObject({
  at: z.number().int(),
  timezone: text(64),
  dayType: z.enum(dayTypes).default('workday'),
});

export type TaskSignal = z.output<typeof taskSignalSchema>;
export type HabitSignal = z.output<typeof habitSignalSchema>;
export type CheckInSignal = z.output<typeof checkInSignalSchema>;
export type CalendarSignal = z.output<typeof calendarSignalSchema>;
export type MoodSignal = z.output<typeof moodSignalSchema>;
export type ContextSignal = z.output<typeof contextSignalSchema>;

export type CandidateKind = 'todo' | 'advice' | 'nothing';
export type CandidateSource = 'rule' | 'llm' | 'none';

export interface LoggedCandidate {
  /** Stable key of what the tip is about (`task:<id>`, `habit:<id>:<date>`, `advice:<slug>`, `nothing`). */
  key: string;
  kind: CandidateKind;
  rule: string;
  text: string;
  rationale: string;
  sourceSignalIds: string[];
  minutes: number;
  source: CandidateSource;
  features: number[];
  mean: number;
  width: number;
  score: number;
  propensity: number;
}

export interface DecisionData {
  decisionId: string;
  at: number;
  /** The context feature vector and its version. */
  context: { version: string; names: string[]; values: number[] };
  candidates: LoggedCandidate[];
  chosenIndex: number;
  chosenKey: string;
  propensity: number;
  /** `linucb-v1/<updates>`: the model is the first <updates> learned rewards, in order. */
  policyVersion: string;
  policy: { name: string; alpha: number; lambda: number; epsilon: number; updates: number };
  /** Shadow policies' scores of the same candidates from the same model; none of them served. */
  shadows?: Array<{ policy: string; probabilities: number[]; top: number; agrees: boolean }>;
}

/** Purposes a user consents to, each covering the signals and features named after it. */
export const consentPurposes = ['tasks', 'calendar', 'mood', 'llm'] as const;
export type ConsentPurpose = (typeof consentPurposes)[number];

export interface PolicyPromotion {
  policy: string;
  from: string;
  at: number;
  /** True when the gate said no and an operator promoted anyway. */
  override: boolean;
  reason: string;
  /** The gate's numbers at the time. */
  estimator: string;
  challengerLow: number;
  incumbentValue: number;
  decisions: number;
}

export type TipsEvent =
  | { type: 'task_recorded'; data: TaskSignal & { signalId: string } }
  | { type: 'habit_defined'; data: HabitSignal & { signalId: string } }
  | { type: 'habit_checked_in'; data: CheckInSignal & { signalId: string } }
  | { type: 'calendar_event_recorded'; data: CalendarSignal & { signalId: string } }
  | { type: 'mood_recorded'; data: MoodSignal & { signalId: string } }
  | { type: 'context_recorded'; data: ContextSignal & { signalId: string } }
  | { type: 'tip_decided'; data: DecisionData }
  | { type: 'tip_shown'; data: { decisionId: string; at: number } }
  | { type: 'tip_reacted'; data: { decisionId: string; reaction: Reaction; reward: number; at: number } }
  | { type: 'policy_promoted'; data: PolicyPromotion }
  | { type: 'consent_given'; data: { purpose: ConsentPurpose; noticeVersion: string; at: number } }
  | { type: 'consent_revoked'; data: { purpose: ConsentPurpose; noticeVersion: string; at: number } }
  | { type: 'integration_connected'; data: { provider: string; at: number; scope: string } }
  | { type: 'integration_disconnected'; data: { provider: string; at: number; revoked: boolean } };

export type TipsEventType = TipsEvent['type'];

// A record, so the compiler checks the list names every type of the union.
const eventTypeSet: Record<TipsEventType, true> = {
  task_recorded: true,
  habit_defined: true,
  habit_checked_in: true,
  calendar_event_recorded: true,
  mood_recorded: true,
  context_recorded: true,
  tip_decided: true,
  tip_shown: true,
  tip_reacted: true,
  policy_promoted: true,
  consent_given: true,
  consent_revoked: true,
  integration_connected: true,
  integration_disconnected: true,
};

/** Every event type the tips product writes. */
export const tipsEventTypes = Object.keys(eventTypeSet) as readonly TipsEventType[];

/**
 * Stored events written before the naming convention carry a `tips.` prefix (`tips.tip_decided`); each reads as its
 * current name, data unchanged. The store applies these on every read (the ProductModule hands them over).
 */
export const tipsUpcasters = tipsEventTypes.map((type) => ({
  fromType: `tips.${type}`,
  toType: type,
  upcast: (event: { type: string; data: unknown }) => ({ type, data: event.data }),
}));

/** A signal as posted to the API: one of the five kinds, tagged. */
export const signalInputSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('task'), ...taskSignalSchema.shape }),
  z.strictObject({ kind: z.literal('habit'), ...habitSignalSchema.shape }),
  z.strictObject({ kind: z.literal('check_in'), ...checkInSignalSchema.shape }),
  z.strictObject({ kind: z.literal('calendar'), ...calendarSignalSchema.shape }),
  z.strictObject({ kind: z.literal('mood'), ...moodSignalSchema.shape }),
  z.strictObject({ kind: z.literal('context'), ...contextSignalSchema.shape }),
]);
export type SignalInput = z.output<typeof signalInputSchema>;

/** The event a signal becomes. */
export function signalEvent(input: SignalInput, signalId: string): TipsEvent {
  const { kind, ...data } = input;
  switch (kind) {
    case 'task':
      return { type: 'task_recorded', data: { ...(data as TaskSignal), signalId } };
    case 'habit':
      return { type: 'habit_defined', data: { ...(data as HabitSignal), signalId } };
    case 'check_in':
      return { type: 'habit_checked_in', data: { ...(data as CheckInSignal), signalId } };
    case 'calendar':
      return { type: 'calendar_event_recorded', data: { ...(data as CalendarSignal), signalId } };
    case 'mood':
      return { type: 'mood_recorded', data: { ...(data as MoodSignal), signalId } };
    case 'context':
      return { type: 'context_recorded', data: { ...(data as ContextSignal), signalId } };
  }
}
