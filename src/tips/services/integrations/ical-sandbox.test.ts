import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IcsSyntaxError } from './ical.js';
import { parseIcsBounded } from './ical-sandbox.js';

const window = { timeZone: 'Europe/Helsinki', from: Date.parse('2026-10-01T00:00:00Z'), to: Date.parse('2026-12-01T00:00:00Z') };
const limits = { maxBytes: 2_000_000, maxExpansions: 100_000, timeoutMs: 20_000 };
const fixtures = new URL('./fixtures/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixtures), 'utf8');
const iso = (ms: number) => new Date(ms).toISOString();

async function failure(text: string, custom = limits): Promise<IcsSyntaxError> {
  try {
    await parseIcsBounded(text, window, custom);
  } catch (error) {
    expect(error).toBeInstanceOf(IcsSyntaxError);
    return error as IcsSyntaxError;
  }
  return expect.unreachable('should have been rejected');
}

// Each case starts a worker (under a TypeScript loader here): generous test timeouts on a loaded machine.
describe('iCalendar import in a worker thread', { timeout: 120_000 }, () => {
  it('given RDATEs of DATE, DATE-TIME and PERIOD, an EXDATE list, an orphan override and a VALARM, then each occurrence lands at its UTC time', async () => {
    const signals = await parseIcsBounded(read('rdate-exdate.ics'), window, limits);
    const times = (title: string) =>
      signals.filter((signal) => signal.title === title).map((signal) => [iso(signal.start), iso(signal.end)]);
    expect(times('Extra periods')).toEqual([
      ['2026-11-02T12:00:00.000Z', '2026-11-02T12:30:00.000Z'],
      ['2026-11-03T12:00:00.000Z', '2026-11-03T14:00:00.000Z'],
      ['2026-11-04T08:00:00.000Z', '2026-11-04T10:00:00.000Z'],
    ]);
    expect(times('Extra dates with a zone').map(([start]) => start)).toEqual([
      '2026-11-02T08:00:00.000Z',
      '2026-11-04T08:00:00.000Z',
      '2026-11-06T12:00:00.000Z',
    ]);
    expect(times('Extra whole days').map(([start]) => start)).toEqual([
      '2026-11-02T22:00:00.000Z',
      '2026-11-04T22:00:00.000Z',
      '2026-11-06T22:00:00.000Z',
    ]);
    expect(times('Daily with two skipped').map(([start]) => start)).toEqual([
      '2026-11-02T07:00:00.000Z',
      '2026-11-04T07:00:00.000Z',
      '2026-11-06T07:00:00.000Z',
    ]);
    expect(times('Override without its series')).toEqual([['2026-11-08T11:00:00.000Z', '2026-11-08T11:30:00.000Z']]);
  });

  it('given a BOM, folded lines, X-WR-TIMEZONE and a floating time, then the floating time is in the calendar zone and the all-day one in the user zone', async () => {
    const signals = await parseIcsBounded(read('bom-folded-floating.ics'), window, limits);
    expect(signals.map((signal) => [signal.title, iso(signal.start), signal.allDay])).toEqual([
      ['Floating breakfast with a summary that is folded across two lines', '2026-11-10T14:00:00.000Z', false],
      ["All-day in the user's zone", '2026-11-11T22:00:00.000Z', true],
    ]);
  });

  it('given Windows zone names without a VTIMEZONE and a yearly all-day birthday, then they convert', async () => {
    const signals = await parseIcsBounded(read('windows-zones-birthday.ics'), window, limits);
    expect(signals.map((signal) => [signal.title, iso(signal.start), signal.busy])).toEqual([
      ['Meeting in a Windows zone', '2026-11-10T14:00:00.000Z', true],
      ['Call on the west coast', '2026-11-10T17:00:00.000Z', true],
      ["A friend's birthday", '2026-11-10T22:00:00.000Z', false],
    ]);
  });

  it.each([
    ['hostile-duration.ics', 9, 'DURATION', 'invalid duration'],
    ['hostile-period.ics', 9, 'RDATE', 'PERIOD'],
    ['hostile-secondly.ics', 9, 'RRULE', 'limit of 100000'],
  ])('given %s, then the failure names line %i and %s', async (name, line, property, reason) => {
    const error = await failure(read(name));
    expect([error.line, error.property]).toEqual([line, property]);
    expect(error.message).toContain(reason);
  });

  it('given a file over the size limit, then the failure names the line where the limit is crossed', async () => {
    const event = (index: number) => `BEGIN:VEVENT\r\nUID:${index}\r\nDTSTART:20261102T070000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n`;
    const text = `BEGIN:VCALENDAR\r\n${Array.from({ length: 1_000 }, (_, index) => event(index)).join('')}END:VCALENDAR\r\n`;
    const error = await failure(text, { ...limits, maxBytes: 10_000 });
    expect(error.message).toContain('limit of 10000 bytes');
    expect(error.line).toBe(text.slice(0, 10_000).split('\n').length);
  });

  it('given a rule that would expand for ever under a huge budget, then the time limit stops the worker and names the VEVENT', async () => {
    const error = await failure(read('hostile-secondly.ics'), { ...limits, maxExpansions: 1e12, timeoutMs: 300 });
    expect([error.line, error.property]).toEqual([4, 'VEVENT']);
    expect(error.message).toContain('took longer than 300 ms');
  });

  it('given every file of the corpus, then each parses or fails with an IcsSyntaxError', async () => {
    const names = readdirSync(fixtures).filter((name) => name.endsWith('.ics'));
    expect(names.length).toBeGreaterThanOrEqual(7);
    const outcomes = await Promise.all(
      names.map((name) =>
        parseIcsBounded(read(name), window, limits).then(
          (signals) => [name, signals.length > 0],
          (error: unknown) => [name, error instanceof IcsSyntaxError],
        ),
      ),
    );
    expect(outcomes).toEqual(names.map((name) => [name, true]));
  });
});
