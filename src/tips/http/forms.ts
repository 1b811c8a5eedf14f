/**
 * The HTML forms of the tips pages as zod schemas (the web kit parses urlencoded bodies into a flat record of strings;
 * unknown fields such as the CSRF token are ignored), and the signal form turned into the API's signal input, checked
 * by the same schema as the JSON API.
 */
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import {
  consentPurposes,
  isValidTimeZone,
  type LocalClock,
  reactions,
  type SignalInput,
  signalInputSchema,
  zonedTimeToEpoch,
} from '../services/index.js';

const field = (max: number) => z.string().max(max).optional();

export const signalFormSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('task'),
    title: field(300),
    due: field(40),
    priority: field(2),
    durationMinutes: field(8),
    project: field(120),
  }),
  z.object({ kind: z.literal('calendar'), title: field(300), start: field(40), end: field(40) }),
  z.object({ kind: z.literal('mood'), score: field(4), note: field(500) }),
  z.object({ kind: z.literal('habit'), name: field(120) }),
  z.object({ kind: z.literal('check_in'), habitId: field(120) }),
  z.object({ kind: z.literal('context'), timezone: field(64), dayType: field(20) }),
]);
export type SignalForm = z.output<typeof signalFormSchema>;

export const reactionFormSchema = z.object({ reaction: z.enum([...reactions, 'ask']) });
export const icsFormSchema = z.object({ ics: z.string().min(1) });
export const todoistTokenFormSchema = z.object({ token: z.string().min(1).max(200) });
export const confirmFormSchema = z.object({ confirm: z.string().max(200) });
/** One checkbox per purpose: `purpose_<name>=on` when checked, absent when not. */
export const consentFormSchema = z.object(
  Object.fromEntries(consentPurposes.map((purpose) => [`purpose_${purpose}`, z.literal('on').optional()])) as Record<
    `purpose_${(typeof consentPurposes)[number]}`,
    z.ZodOptional<z.ZodLiteral<'on'>>
  >,
);

/** `2026-11-23T10:30` from a datetime-local input, in the user's zone. */
function fromLocalInput(value: string | undefined, timeZone: string): number | undefined {
  if (!value) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!match) throw new ValidationError(`not a date and time: ${value}`);
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  return zonedTimeToEpoch({ year, month, day, hour, minute }, timeZone);
}

const slug = (value: string) =>
  value
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'item';

const text = (value: string | undefined) => value?.trim() || undefined;
const number = (value: string | undefined) => (text(value) === undefined ? undefined : Number(text(value)));

function rawSignal(form: SignalForm, clock: LocalClock): Record<string, unknown> {
  const { now, timeZone } = clock;
  switch (form.kind) {
    case 'task':
      return {
        kind: 'task',
        taskId: `manual-${slug(text(form.title) ?? '')}-${now.toString(36)}`,
        title: text(form.title),
        project: text(form.project),
        dueAt: fromLocalInput(text(form.due), timeZone),
        priority: number(form.priority) ?? 1,
        durationMinutes: number(form.durationMinutes),
      };
    case 'calendar':
      return {
        kind: 'calendar',
        eventId: `manual-${now.toString(36)}`,
        title: text(form.title) ?? '',
        start: fromLocalInput(text(form.start), timeZone),
        end: fromLocalInput(text(form.end), timeZone),
      };
    case 'mood':
      return { kind: 'mood', score: number(form.score), note: text(form.note), at: now };
    case 'habit':
      return { kind: 'habit', habitId: slug(text(form.name) ?? ''), name: text(form.name) };
    case 'check_in':
      return { kind: 'check_in', habitId: text(form.habitId), at: now };
    case 'context':
      if (!isValidTimeZone(text(form.timezone) ?? '')) throw new ValidationError(`unknown time zone ${text(form.timezone) ?? ''}`);
      return { kind: 'context', timezone: text(form.timezone), dayType: text(form.dayType) ?? 'workday', at: now };
  }
}

/** A signal form as a signal, in the user's zone; a value the API would refuse is a ValidationError naming the field. */
export function signalFromForm(form: SignalForm, clock: LocalClock): SignalInput {
  const raw = rawSignal(form, clock);
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const parsed = signalInputSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`${issue?.path.join('.') || form.kind}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
