import { describe, expect, it } from 'vitest';
import { createSimClock, formatLocal, fromLocalString, helsinkiOffsetMinutes, parseInstant, simDayOf, toLocalTime } from './sim-time.js';

describe('Helsinki sim time', () => {
  it('given winter and summer dates, when converted, then the offset is +02:00 or +03:00', () => {
    expect(formatLocal(fromLocalString('2026-01-15T12:00'))).toBe('2026-01-15T12:00:00+02:00');
    expect(formatLocal(fromLocalString('2026-05-04T00:00'))).toBe('2026-05-04T00:00:00+03:00');
  });

  it('given the last Sundays of March and October, when the clocks change at 01:00 UTC, then the offset switches', () => {
    expect(helsinkiOffsetMinutes(Date.UTC(2026, 2, 29, 0, 59))).toBe(120);
    expect(helsinkiOffsetMinutes(Date.UTC(2026, 2, 29, 1, 0))).toBe(180);
    expect(helsinkiOffsetMinutes(Date.UTC(2026, 9, 25, 0, 59))).toBe(180);
    expect(helsinkiOffsetMinutes(Date.UTC(2026, 9, 25, 1, 0))).toBe(120);
  });

  it('given an instant, when split into local fields, then the weekday is right (2026-05-04 is a Monday)', () => {
    expect(toLocalTime(fromLocalString('2026-05-04T07:15'))).toMatchObject({
      year: 2026,
      month: 5,
      day: 4,
      hour: 7,
      minute: 15,
      weekday: 1,
    });
    expect(toLocalTime(fromLocalString('2026-05-10T23:45')).weekday).toBe(0);
  });

  it('given formatted times, when parsed back, then the instant is the same', () => {
    const instant = fromLocalString('2026-10-25T04:30');
    expect(parseInstant(formatLocal(instant))).toBe(instant);
    expect(parseInstant('2026-05-06T12:00')).toBe(fromLocalString('2026-05-06T12:00'));
    expect(parseInstant('2026-05-06T09:00Z')).toBe(Date.UTC(2026, 4, 6, 9, 0));
  });

  it('given 15-minute ticks from midnight, when counting days, then tick 96 starts sim-day 2', () => {
    const clock = createSimClock('2026-05-04T00:00', 15);
    expect(simDayOf(clock, 0)).toBe(1);
    expect(simDayOf(clock, 95)).toBe(1);
    expect(simDayOf(clock, 96)).toBe(2);
  });
});
