/**
 * The structural check that runs before ical.js: unfolds lines, checks each content line, BEGIN/END nesting, date,
 * duration and period values, and records where each VEVENT and its properties are, so every later failure can name
 * the line and the property.
 */
import { ValidationError } from '../../../core/errors.js';

export class IcsSyntaxError extends ValidationError {
  readonly line: number;
  readonly property: string;
  constructor(line: number, property: string, reason: string) {
    super(`ICS line ${line} (${property}): ${reason}`, { line, property });
    this.name = 'IcsSyntaxError';
    this.line = line;
    this.property = property;
  }
}

export interface ContentLine {
  line: number;
  text: string;
}

/** A VEVENT directly under VCALENDAR: the line of its BEGIN and the first line of each property. */
export interface EventLines {
  line: number;
  properties: Map<string, number>;
}

export interface IcsStructure {
  /** The text without a byte order mark, as ical.js should read it. */
  text: string;
  lines: ContentLine[];
  events: EventLines[];
}

const contentLine = /^([A-Za-z0-9_-]+)((?:;[A-Za-z0-9_-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)*):(.*)$/;
const dateValue = /^\d{8}(T\d{6}Z?)?$/;
const durationValue = /^[+-]?P(?:(\d{1,12})W|(?:(\d{1,12})D)?(?:T(?:(\d{1,12})H)?(?:(\d{1,12})M)?(?:(\d{1,12})S)?)?)$/;
const dateProperties = new Set(['DTSTART', 'DTEND', 'RECURRENCE-ID', 'EXDATE', 'DUE']);
/** Longer events or periods are not calendar entries a tip could act on; ical.js would normalise them for ages. */
const maxDurationSeconds = 10 * 366 * 86_400;

/** Throws when the text is over maxBytes, naming the line where the limit is crossed. */
export function checkIcsSize(text: string, maxBytes: number): void {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return;
  const head = text.slice(0, maxBytes);
  const line = head.split('\n').length;
  const start = head.lastIndexOf('\n') + 1;
  const property = /^[A-Za-z0-9_-]+/.exec(text.slice(start, start + 80))?.[0]?.toUpperCase() ?? 'VCALENDAR';
  throw new IcsSyntaxError(line, property, `the file is over the limit of ${maxBytes} bytes`);
}

function unfold(text: string): ContentLine[] {
  const lines: ContentLine[] = [];
  for (const [index, raw] of text.split(/\r\n|\n|\r/).entries()) {
    if (/^[ \t]/.test(raw)) {
      const previous = lines[lines.length - 1];
      if (!previous) throw new IcsSyntaxError(index + 1, 'VCALENDAR', 'a continuation line with nothing to continue');
      previous.text += raw.slice(1);
      continue;
    }
    if (raw.trim() === '') continue;
    lines.push({ line: index + 1, text: raw });
  }
  if (lines.length === 0) throw new IcsSyntaxError(1, 'VCALENDAR', 'the file is empty');
  return lines;
}

/** Unfolds continuation lines and checks each content line. Throws IcsSyntaxError naming the line and the property. */
export function checkIcsStructure(input: string): IcsStructure {
  const text = input.replace(/^\uFEFF/, '');
  const lines = unfold(text);
  const stack: string[] = [];
  const events: EventLines[] = [];
  for (const [index, { line, text: value }] of lines.entries()) {
    const match = contentLine.exec(value);
    if (!match) {
      const name = /^[A-Za-z0-9_-]+/.exec(value)?.[0]?.toUpperCase() ?? 'content line';
      throw new IcsSyntaxError(line, name, `expected NAME[;PARAM=VALUE]:VALUE, got ${JSON.stringify(clipText(value))}`);
    }
    const name = (match[1] as string).toUpperCase();
    const parameters = match[2] ?? '';
    const content = match[3] as string;
    if (index === 0 && !(name === 'BEGIN' && content.toUpperCase() === 'VCALENDAR'))
      throw new IcsSyntaxError(line, name, 'an iCalendar file starts with BEGIN:VCALENDAR');
    if (name === 'BEGIN') {
      stack.push(content.toUpperCase());
      if (stack.length === 2 && stack[1] === 'VEVENT') events.push({ line, properties: new Map() });
      continue;
    }
    if (name === 'END') {
      const open = stack.pop();
      if (open !== content.toUpperCase())
        throw new IcsSyntaxError(line, name, open === undefined ? `END:${content} without a BEGIN` : `END:${content} closes BEGIN:${open}`);
      continue;
    }
    if (stack.length === 0) throw new IcsSyntaxError(line, name, `${name} outside BEGIN:VCALENDAR ... END:VCALENDAR`);
    if (stack.length !== 2 || stack[1] !== 'VEVENT') continue;
    const event = events[events.length - 1] as EventLines;
    if (!event.properties.has(name)) event.properties.set(name, line);
    checkEventProperty(line, name, parameters, content);
  }
  if (stack.length > 0) {
    const last = lines[lines.length - 1] as ContentLine;
    throw new IcsSyntaxError(last.line, `BEGIN:${stack[stack.length - 1]}`, `BEGIN:${stack[stack.length - 1]} is never closed`);
  }
  return { text, lines, events };
}

function checkEventProperty(line: number, name: string, parameters: string, content: string): void {
  if (dateProperties.has(name)) {
    for (const part of content.split(','))
      if (!dateValue.test(part.trim()))
        throw new IcsSyntaxError(line, name, `has an invalid date or date-time ${JSON.stringify(clipText(part))}`);
  } else if (name === 'RDATE') {
    const isPeriod = /;VALUE=PERIOD/i.test(parameters);
    for (const part of content.split(',')) checkRdate(line, part.trim(), isPeriod);
  } else if (name === 'DURATION') checkDuration(line, name, content.trim());
  else if (name === 'RRULE' && !/(^|;)FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;|$)/i.test(content))
    throw new IcsSyntaxError(line, name, `RRULE needs a valid FREQ, got ${JSON.stringify(clipText(content))}`);
}

function checkRdate(line: number, value: string, isPeriod: boolean): void {
  if (!isPeriod) {
    if (!dateValue.test(value))
      throw new IcsSyntaxError(line, 'RDATE', `has an invalid date or date-time ${JSON.stringify(clipText(value))}`);
    return;
  }
  const [start, end, ...rest] = value.split('/');
  if (start === undefined || !end || rest.length > 0 || !/^\d{8}T\d{6}Z?$/.test(start))
    throw new IcsSyntaxError(line, 'RDATE', `a PERIOD is START/END or START/DURATION, got ${JSON.stringify(clipText(value))}`);
  if (/^\d{8}T\d{6}Z?$/.test(end)) return;
  checkDuration(line, 'RDATE', end);
}

function checkDuration(line: number, property: string, value: string): void {
  const match = durationValue.exec(value);
  if (!match) throw new IcsSyntaxError(line, property, `has an invalid duration ${JSON.stringify(clipText(value))}`);
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as number[];
  const total = (weeks ?? 0) * 604_800 + (days ?? 0) * 86_400 + (hours ?? 0) * 3_600 + (minutes ?? 0) * 60 + (seconds ?? 0);
  if (total > maxDurationSeconds)
    throw new IcsSyntaxError(line, property, `the duration ${JSON.stringify(clipText(value))} is longer than ten years`);
}

export function clipText(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
