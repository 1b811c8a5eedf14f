/**
 * iCalendar import with ical.js: VEVENTs become calendar signals, recurrences (RRULE, RDATE of DATE, DATE-TIME or
 * PERIOD, EXDATE lists and overridden instances by RECURRENCE-ID) expanded within a window under a budget, times
 * converted to UTC through their TZID (an IANA name via Intl, the file's VTIMEZONE, or a Windows zone name), floating
 * times in the calendar's X-WR-TIMEZONE (else the user's zone), all-day times in the user's zone. VALARMs are ignored.
 * Synchronous and unbounded in time by itself: the server runs it through ical-sandbox.ts, in a worker thread.
 */
import ICAL from 'ical.js';
import type { CalendarSignal } from '../../domain/events.js';
import { isValidTimeZone, zonedTimeToEpoch } from '../../domain/time.js';
import { checkIcsStructure, type EventLines, IcsSyntaxError } from './ical-structure.js';
import { windowsZoneToIana } from './windows-zones.js';

export { checkIcsStructure, IcsSyntaxError } from './ical-structure.js';

export interface IcsImportOptions {
  /** The user's zone, for all-day times (and floating times when the file names no X-WR-TIMEZONE). */
  timeZone: string;
  /** Occurrences starting in [from, to) are imported. */
  from: number;
  to: number;
  /** Occurrences kept per event. */
  maxOccurrencesPerEvent?: number;
  /** Recurrence instances the whole file may expand (inside and before the window) before it is rejected. */
  maxExpansions?: number;
  /** When given, the line of the VEVENT being read is stored at index 0 (read by the sandbox on a time-out). */
  progress?: Int32Array;
}

interface Zones {
  user: string;
  floating: string;
}

interface Budget {
  left: number;
  limit: number;
}

/** Parses an iCalendar text into calendar signals (without signal ids). Throws IcsSyntaxError naming the line and property. */
export function parseIcs(input: string, options: IcsImportOptions): CalendarSignal[] {
  const structure = checkIcsStructure(input);
  let root: ICAL.Component;
  try {
    root = new ICAL.Component(ICAL.parse(structure.text));
  } catch (error) {
    const reason = (error as Error).message;
    const quoted = /"([^"]+)"/.exec(reason)?.[1];
    const found = quoted === undefined ? undefined : structure.lines.find((candidate) => candidate.text.includes(quoted));
    throw new IcsSyntaxError(found?.line ?? 1, /^[A-Za-z0-9_-]+/.exec(found?.text ?? '')?.[0] ?? 'VCALENDAR', reason);
  }
  const calendars = root.name === 'vcalendar' ? [root] : root.getAllSubcomponents('vcalendar');
  const budget: Budget = { left: options.maxExpansions ?? 100_000, limit: options.maxExpansions ?? 100_000 };
  const out: CalendarSignal[] = [];
  let eventIndex = 0;
  for (const calendar of calendars) {
    for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone);
    const zones = { user: options.timeZone, floating: calendarZone(calendar) ?? options.timeZone };
    const entries = calendar.getAllSubcomponents('vevent').map((component) => {
      component.removeAllSubcomponents('valarm');
      const rdates = takeRdates(component);
      const lines = structure.events[eventIndex++] ?? { line: 1, properties: new Map() };
      return { event: new ICAL.Event(component), lines, rdates };
    });
    for (const entry of groupSeries(entries)) {
      if (options.progress) Atomics.store(options.progress, 0, entry.lines.line);
      out.push(...readEvent(entry, options, zones, budget));
    }
  }
  return out.sort((a, b) => a.start - b.start || a.eventId.localeCompare(b.eventId));
}

interface Rdate {
  start: ICAL.Time;
  end?: ICAL.Time;
  duration?: ICAL.Duration;
  tzid?: string;
}

interface Entry {
  event: ICAL.Event;
  lines: EventLines;
  /** Expanded here rather than by ical.js, which cannot iterate PERIOD values. */
  rdates: Rdate[];
}

function takeRdates(component: ICAL.Component): Rdate[] {
  const out: Rdate[] = [];
  for (const property of component.getAllProperties('rdate')) {
    const tzid = property.getParameter('tzid');
    const zone = typeof tzid === 'string' && tzid !== '' ? { tzid } : {};
    for (const value of property.getValues() as unknown[]) {
      if (value instanceof ICAL.Period) {
        out.push({
          start: value.start,
          ...(value.end ? { end: value.end } : {}),
          ...(value.duration ? { duration: value.duration } : {}),
          ...zone,
        });
      } else if (value instanceof ICAL.Time) out.push({ start: value, ...zone });
    }
  }
  component.removeAllProperties('rdate');
  return out;
}

/** Masters with their RECURRENCE-ID overrides related; an override without its master stands alone. */
function groupSeries(entries: Entry[]): Entry[] {
  const masters = new Map<string, Entry>();
  const exceptions: Entry[] = [];
  for (const entry of entries) {
    if (entry.event.isRecurrenceException()) exceptions.push(entry);
    else masters.set(entry.event.uid, entry);
  }
  for (const exception of exceptions) {
    const master = masters.get(exception.event.uid);
    if (master) master.event.relateException(exception.event);
    else masters.set(`${exception.event.uid}#${exception.event.recurrenceId?.toString()}`, exception);
  }
  return [...masters.values()];
}

function calendarZone(calendar: ICAL.Component): string | undefined {
  const name = String(calendar.getFirstPropertyValue('x-wr-timezone') ?? '').trim();
  if (name === '') return undefined;
  if (isValidTimeZone(name)) return name;
  return windowsZoneToIana(name);
}

function readEvent(entry: Entry, options: IcsImportOptions, zones: Zones, budget: Budget): CalendarSignal[] {
  try {
    return expand(entry, options, zones, budget);
  } catch (error) {
    if (error instanceof IcsSyntaxError) throw error;
    const reason = (error as Error).message;
    const property = ['RRULE', 'RDATE', 'EXDATE', 'RECURRENCE-ID', 'DTSTART', 'DTEND', 'DURATION'].find((name) =>
      reason.toUpperCase().includes(name),
    );
    const line = (property === undefined ? undefined : entry.lines.properties.get(property)) ?? entry.lines.line;
    throw new IcsSyntaxError(line, property ?? 'VEVENT', `could not be read: ${reason}`);
  }
}

function expand(entry: Entry, options: IcsImportOptions, zones: Zones, budget: Budget): CalendarSignal[] {
  const { event } = entry;
  if (!event.startDate) return [];
  const uid = event.uid || `${event.summary}@${event.startDate.toString()}`;
  const signal = (item: ICAL.Event, start: ICAL.Time, end: ICAL.Time | undefined, recurring: boolean): CalendarSignal => {
    const startMs = toEpoch(start, tzidOf(item, 'dtstart') ?? tzidOf(event, 'dtstart'), zones);
    const endMs = end
      ? toEpoch(end, tzidOf(item, 'dtend') ?? tzidOf(item, 'dtstart') ?? tzidOf(event, 'dtstart'), zones)
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
  const inWindow = (candidate: CalendarSignal) => candidate.end > options.from && candidate.start < options.to;
  if (!event.isRecurring() && entry.rdates.length === 0) {
    const one = signal(event, event.startDate, event.endDate, false);
    return inWindow(one) ? [one] : [];
  }
  const out: CalendarSignal[] = [];
  if (!event.isRecurring()) {
    const first = signal(event, event.startDate, event.endDate, true);
    if (inWindow(first)) out.push(first);
  }
  out.push(...expandRdates(entry, signal(event, event.startDate, event.endDate, true), zones, budget).filter(inWindow));
  if (!event.isRecurring()) return out;
  const iterator = event.iterator();
  const limit = options.maxOccurrencesPerEvent ?? 1_000;
  for (;;) {
    if (budget.left-- <= 0) {
      const property = entry.lines.properties.has('RRULE') ? 'RRULE' : 'RDATE';
      const line = entry.lines.properties.get(property) ?? entry.lines.line;
      throw new IcsSyntaxError(line, property, `the recurrences expand past the limit of ${budget.limit} occurrences`);
    }
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

function expandRdates(entry: Entry, master: CalendarSignal, zones: Zones, budget: Budget): CalendarSignal[] {
  const masterTzid = tzidOf(entry.event, 'dtstart');
  const excluded = new Set<number>();
  for (const property of entry.event.component.getAllProperties('exdate')) {
    const tzid = property.getParameter('tzid');
    for (const value of property.getValues() as unknown[])
      if (value instanceof ICAL.Time) excluded.add(toEpoch(value, typeof tzid === 'string' && tzid !== '' ? tzid : masterTzid, zones));
  }
  const out: CalendarSignal[] = [];
  for (const rdate of entry.rdates) {
    if (budget.left-- <= 0)
      throw new IcsSyntaxError(
        entry.lines.properties.get('RDATE') ?? entry.lines.line,
        'RDATE',
        `the recurrences expand past the limit of ${budget.limit} occurrences`,
      );
    const start = toEpoch(rdate.start, rdate.tzid ?? masterTzid, zones);
    if (excluded.has(start)) continue;
    const end = rdate.end
      ? toEpoch(rdate.end, rdate.tzid ?? masterTzid, zones)
      : rdate.duration
        ? start + rdate.duration.toSeconds() * 1000
        : start + (master.end - master.start);
    out.push({
      ...master,
      eventId: master.eventId.replace(/@[^@]*$/, `@${new Date(start).toISOString()}`),
      start,
      end: Math.max(end, start),
      allDay: rdate.start.isDate,
      busy: master.busy && !rdate.start.isDate,
    });
  }
  return out;
}

function tzidOf(event: ICAL.Event, property: string): string | undefined {
  const value = event.component.getFirstProperty(property)?.getParameter('tzid');
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * UTC milliseconds of an ical.js time: `Z` times as they are; a TZID through Intl, the file's VTIMEZONE or the Windows
 * zone table; a floating time in the calendar's zone; an all-day time in the user's zone.
 */
function toEpoch(time: ICAL.Time, tzid: string | undefined, zones: Zones): number {
  const wall = {
    year: time.year,
    month: time.month,
    day: time.day,
    hour: time.isDate ? 0 : time.hour,
    minute: time.isDate ? 0 : time.minute,
    second: time.isDate ? 0 : time.second,
  };
  if (time.isDate) return zonedTimeToEpoch(wall, zones.user);
  if (time.zone === ICAL.Timezone.utcTimezone) return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  if (tzid !== undefined) {
    const zone = tzid.replace(/^\/+/, '');
    if (isValidTimeZone(zone)) return zonedTimeToEpoch(wall, zone);
    if (time.zone && time.zone !== ICAL.Timezone.localTimezone && time.zone.tzid !== 'floating' && time.zone.component)
      return time.toUnixTime() * 1000;
    const windows = windowsZoneToIana(zone);
    if (windows) return zonedTimeToEpoch(wall, windows);
  }
  return zonedTimeToEpoch(wall, zones.floating);
}
