import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IcsSyntaxError, parseIcs } from './ical.js';

const fixture = readFileSync(new URL('./fixtures/recurring-zones.ics', import.meta.url), 'utf8');
const window = { timeZone: 'Europe/Helsinki', from: Date.parse('2026-10-01T00:00:00Z'), to: Date.parse('2026-12-01T00:00:00Z') };
const iso = (ms: number) => new Date(ms).toISOString();

describe('iCalendar import', () => {
  const signals = parseIcs(fixture, window);
  const byTitle = (title: string) => signals.filter((signal) => signal.title === title);

  it('given a weekly rule across a DST change with an EXDATE and a moved instance, then each occurrence lands at its UTC time', () => {
    expect(byTitle('Weekly standup').map((signal) => iso(signal.start))).toEqual(['2026-10-19T06:00:00.000Z', '2026-10-26T07:00:00.000Z']);
    const moved = byTitle('Weekly standup (moved)');
    expect(moved.map((signal) => [iso(signal.start), iso(signal.end)])).toEqual([['2026-11-09T09:00:00.000Z', '2026-11-09T09:30:00.000Z']]);
    expect(moved[0]?.eventId).toBe('ics:weekly-standup@example.com@2026-11-09T09:00:00.000Z');
  });

  it('given a daily rule in America/New_York over its DST end, with a DURATION and a folded summary, then the offsets change on 1 November', () => {
    const calls = byTitle('Call with New York,continued on a folded line');
    expect(calls.map((signal) => iso(signal.start))).toEqual([
      '2026-10-31T12:30:00.000Z',
      '2026-11-01T13:30:00.000Z',
      '2026-11-02T13:30:00.000Z',
    ]);
    expect(calls.every((signal) => signal.end - signal.start === 45 * 60_000 && signal.busy)).toBe(true);
  });

  it('given UTC, transparent, all-day and VTIMEZONE-only times, then each converts and busy follows TRANSP and all-day', () => {
    const [lunch] = byTitle('Lunch (free)');
    expect([iso(lunch?.start ?? 0), lunch?.busy]).toEqual(['2026-11-03T12:00:00.000Z', false]);
    const [dayOff] = byTitle('Day off');
    expect([iso(dayOff?.start ?? 0), iso(dayOff?.end ?? 0), dayOff?.allDay, dayOff?.busy]).toEqual([
      '2026-11-03T22:00:00.000Z',
      '2026-11-04T22:00:00.000Z',
      true,
      false,
    ]);
    const [custom] = byTitle('Call in a custom zone');
    expect(iso(custom?.start ?? 0)).toBe('2026-11-05T05:00:00.000Z');
  });

  it('given an event outside the window, then it is not imported', () => {
    expect(byTitle('Long ago')).toEqual([]);
    expect(signals).toHaveLength(9);
  });

  it.each([
    [
      'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nthis line has no colon\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
      5,
      'expected NAME',
    ],
    ['BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026-11-01 10:00\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n', 4, 'DTSTART'],
    ['BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n', 4, 'closes BEGIN:VEVENT'],
    ['BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n', 3, 'FREQ'],
    ['BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n', 3, 'never closed'],
    ['hello\r\n', 1, 'expected NAME'],
  ])('given a malformed file, then the error names the line (%#)', (text, line, reason) => {
    try {
      parseIcs(text, window);
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(IcsSyntaxError);
      expect((error as IcsSyntaxError).line).toBe(line);
      expect((error as Error).message).toContain(`line ${line}`);
      expect((error as Error).message).toContain(reason);
    }
  });
});
