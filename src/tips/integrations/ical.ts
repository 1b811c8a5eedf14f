/**
 * iCalendar import with ical.js: VEVENTs become calendar signals, recurrences (RRULE, RDATE, EXDATE and overridden
 * instances by RECURRENCE-ID) expanded within a window, times converted to UTC through their TZID (an IANA name via
 * Intl; otherwise the file's VTIMEZONE), floating and all-day times in the user's zone. A structural check runs first
 * so a malformed file is rejected with the line that broke it.
 */
import ICAL from 'ical.js';
import { ValidationError } from '../../core/errors.js';
import type { CalendarSignal } from '../domain/events.js';
import { isValidTimeZone, zonedTimeToEpoch } from '../domain/time.js';

export class IcsSyntaxError extends ValidationError {
  readonly line: number;
  constructor(line: number, reason: string) {
    super(`ICS line ${line}: ${reason}`, { line });
    this.name = 'IcsSyntaxError';
    this.line = line;
  }
}

interface ContentLine {
  line: number;
  text: string;
}

const contentLine = /^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)*):(.*)$/;
const dateValue = /^\d{8}(T\d{6}Z?)?$/;
const dateProperties = new Set(['DTSTART', 'DTEND', 'RECURRENCE-ID', 'EXDATE', 'RDATE', 'DUE']);

/** Unfolds continuation lines and checks each content line, BEGIN/END nesting and date values. Throws IcsSyntaxError. */
export function checkIcsStructure(text: string): ContentLine[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const lines: ContentLine[] = [];
  for (const [index, raw] of physical.entries()) {
    if (/^[ \t]/.test(raw)) {
      const previous = lines[lines.length - 1];
      if (!previous) throw new IcsSyntaxError(index + 1, 'a continuation line with nothing to continue');
      previous.text += raw.slice(1);
      continue;
    }
    if (raw.trim() === '') continue;
    lines.push({ line: index + 1, text: raw });
  }
  if (lines.length === 0) throw new IcsSyntaxError(1, 'the file is empty');
  const stack: string[] = [];
  for (const [index, { line, text: value }] of lines.entries()) {
    const match = contentLine.exec(value);
    if (!match) throw new IcsSyntaxError(line, `expected NAME[;PARAM=VALUE]:VALUE, got ${JSON.stringify(clipText(value))}`);
    const name = (match[1] as string).toUpperCase();
    const content = match[3] as string;
    if (index === 0 && !(name === 'BEGIN' && content.toUpperCase() === 'VCALENDAR'))
      throw new IcsSyntaxError(line, 'an iCalendar file starts with BEGIN:VCALENDAR');
    if (name === 'BEGIN') stack.push(content.toUpperCase());
    else if (name === 'END') {
      const open = stack.pop();
      if (open !== content.toUpperCase())
        throw new IcsSyntaxError(line, open === undefined ? `END:${content} without a BEGIN` : `END:${content} closes BEGIN:${open}`);
    } else if (stack.length === 0) throw new IcsSyntaxError(line, `${name} outside BEGIN:VCALENDAR ... END:VCALENDAR`);
    else if (dateProperties.has(name) && stack[stack.length - 1] === 'VEVENT') {
      const isPeriod = /VALUE=PERIOD/i.test(match[2] ?? '');
      for (const part of content.split(',')) {
        if (!isPeriod && !dateValue.test(part.trim()))
          throw new IcsSyntaxError(line, `${name} has an invalid date or date-time ${JSON.stringify(clipText(part))}`);
      }
    } else if (name === 'RRULE' && !/(^|;)FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;|$)/i.test(content))
      throw new IcsSyntaxError(line, `RRULE needs a valid FREQ, got ${JSON.stringify(clipText(content))}`);
  }
  if (stack.length > 0)
    throw new IcsSyntaxError((lines[lines.length - 1] as ContentLine).line, `BEGIN:${stack[stack.length - 1]} is never closed`);
  return lines;
}

function clipText(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export interface IcsImportOptions {
  /** The user's zone, for floating and all-day times. */
  timeZone: string;
  /** Occurrences starting in [from, to) are imported. */
  from: number;
  to: number;
  /** Guard against runaway rules. */
  maxOccurrencesPerEvent?: number;
}

/** Parses an iCalendar text into calendar signals (without signal ids). Throws IcsSyntaxError naming the line. */
export function parseIcs(text: string, options: IcsImportOptions): CalendarSignal[] {
  const lines = checkIcsStructure(text);
  let root: ICAL.Component;
  try {
    root = new ICAL.Component(ICAL.parse(text));
  } catch (error) {
    const reason = (error as Error).message;
    const quoted = /"([^"]+)"/.exec(reason)?.[1];
    const line = quoted === undefined ? undefined : lines.find((candidate) => candidate.text.includes(quoted))?.line;
    throw new IcsSyntaxError(line ?? 1, reason);
  }
  const calendars = root.name === 'vcalendar' ? [root] : root.getAllSubcomponents('vcalendar');
  const out: CalendarSignal[] = [];
  for (const calendar of calendars) {
    for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone);
    const events = calendar.getAllSubcomponents('vevent').map((component) => new ICAL.Event(component));
    const masters = new Map<string, ICAL.Event>();
    const exceptions: ICAL.Event[] = [];
    for (const event of events) {
      if (event.isRecurrenceException()) exceptions.push(event);
      else masters.set(event.uid, event);
    }
    for (const exception of exceptions) {
      const master = masters.get(exception.uid);
      if (master) master.relateException(exception);
      else masters.set(`${exception.uid}#${exception.recurrenceId?.toString()}`, exception);
    }
    for (const event of masters.values()) out.push(...expand(event, options));
  }
  return out.sort((a, b) => a.start - b.start || a.eventId.localeCompare(b.eventId));
}

function expand(event: ICAL.Event, options: IcsImportOptions): CalendarSignal[] {
  if (!event.startDate) return [];
  const uid = event.uid || `${event.summary}@${event.startDate.toString()}`;
  const signal = (item: ICAL.Event, start: ICAL.Time, end: ICAL.Time | undefined, recurring: boolean): CalendarSignal => {
    const startMs = toEpoch(start, tzidOf(item, 'dtstart') ?? tzidOf(event, 'dtstart'), options.timeZone);
    const endMs = end
      ? toEpoch(end, tzidOf(item, 'dtend') ?? tzidOf(item, 'dtstart') ?? tzidOf(event, 'dtstart'), options.timeZone)
      : startMs + (start.isDate ? 86_400_000 : 0);
    const transparent = String(item.component.getFirstPropertyValue('transp') ?? '').toUpperCase() === 'TRANSPARENT';
    const cancelled = String(item.component.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED';
    return {
      eventId: recurring ? `ics:${uid}@${new Date(startMs).toISOString()}` : `ics:${uid}`,
      title: (item.summary ?? '').slice(0, 300),
      start: startMs,
      end: Math.max(endMs, startMs),
      busy: !transparent && !cancelled && !start.isDate,
      allDay: start.isDate,
      source: 'ics',
    };
  };
  if (!event.isRecurring()) {
    const one = signal(event, event.startDate, event.endDate, false);
    return one.end > options.from && one.start < options.to ? [one] : [];
  }
  const out: CalendarSignal[] = [];
  const iterator = event.iterator();
  const limit = options.maxOccurrencesPerEvent ?? 1_000;
  for (let count = 0; count < 20_000; count++) {
    const next = iterator.next();
    if (!next) break;
    const details = event.getOccurrenceDetails(next);
    const occurrence = signal(details.item, details.startDate, details.endDate, true);
    if (occurrence.start >= options.to) break;
    if (occurrence.end > options.from) out.push(occurrence);
    if (out.length >= limit) break;
  }
  return out;
}

function tzidOf(event: ICAL.Event, property: string): string | undefined {
  const value = event.component.getFirstProperty(property)?.getParameter('tzid');
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** UTC milliseconds of an ical.js time: `Z` times as they are, a TZID through Intl (or the file's VTIMEZONE), else the user's zone. */
function toEpoch(time: ICAL.Time, tzid: string | undefined, fallbackZone: string): number {
  const wall = {
    year: time.year,
    month: time.month,
    day: time.day,
    hour: time.isDate ? 0 : time.hour,
    minute: time.isDate ? 0 : time.minute,
    second: time.isDate ? 0 : time.second,
  };
  if (!time.isDate && time.zone === ICAL.Timezone.utcTimezone)
    return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  if (!time.isDate && tzid !== undefined) {
    const zone = tzid.replace(/^\/+/, '');
    if (isValidTimeZone(zone)) return zonedTimeToEpoch(wall, zone);
    if (time.zone && time.zone !== ICAL.Timezone.localTimezone && time.zone.tzid !== 'floating') return time.toUnixTime() * 1000;
  }
  return zonedTimeToEpoch(wall, fallbackZone);
}
