/**
 * Simulation time as data: tick numbers map to instants, instants to Europe/Helsinki wall-clock time.
 * The EU summer-time rule (last Sunday of March to last Sunday of October, switching at 01:00 UTC) is computed here,
 * without the system clock or the host's time-zone database, so every machine agrees.
 */
const minuteMs = 60_000;
const dayMs = 86_400_000;
const helsinkiStandardOffsetMinutes = 120;

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number;
  /** Days since 1970-01-01 of the local date. */
  epochDay: number;
  offsetMinutes: number;
}

/** Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function weekdayOfEpochDay(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

function lastSundayEpochDay(year: number, month: number): number {
  const lastDay = daysFromCivil(year, month + 1, 1) - 1;
  return lastDay - weekdayOfEpochDay(lastDay);
}

/** Helsinki's offset from UTC at an instant: +180 minutes in summer time, +120 otherwise. */
export function helsinkiOffsetMinutes(epochMs: number): number {
  const year = civilFromDays(Math.floor(epochMs / dayMs)).year;
  const summerStart = lastSundayEpochDay(year, 3) * dayMs + 3_600_000;
  const summerEnd = lastSundayEpochDay(year, 10) * dayMs + 3_600_000;
  return epochMs >= summerStart && epochMs < summerEnd ? helsinkiStandardOffsetMinutes + 60 : helsinkiStandardOffsetMinutes;
}

export function toLocalTime(epochMs: number): LocalTime {
  const offsetMinutes = helsinkiOffsetMinutes(epochMs);
  const localMs = epochMs + offsetMinutes * minuteMs;
  const epochDay = Math.floor(localMs / dayMs);
  const { year, month, day } = civilFromDays(epochDay);
  const minuteOfDay = Math.floor((localMs - epochDay * dayMs) / minuteMs);
  return {
    year,
    month,
    day,
    hour: Math.floor(minuteOfDay / 60),
    minute: minuteOfDay % 60,
    weekday: weekdayOfEpochDay(epochDay),
    epochDay,
    offsetMinutes,
  };
}

/** `YYYY-MM-DDTHH:MM` in Helsinki -> epoch milliseconds (the earlier instant when the wall time is ambiguous). */
export function fromLocalString(local: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!match) throw new RangeError(`not a local time YYYY-MM-DDTHH:MM: ${local}`);
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  const wallMs = daysFromCivil(year, month, day) * dayMs + (hour * 60 + minute) * minuteMs;
  const summer = wallMs - (helsinkiStandardOffsetMinutes + 60) * minuteMs;
  if (helsinkiOffsetMinutes(summer) === helsinkiStandardOffsetMinutes + 60) return summer;
  return wallMs - helsinkiStandardOffsetMinutes * minuteMs;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** ISO 8601 with the Helsinki offset, e.g. `2026-05-04T07:15:00+03:00`. */
export function formatLocal(epochMs: number): string {
  const local = toLocalTime(epochMs);
  const sign = local.offsetMinutes >= 0 ? '+' : '-';
  const offset = Math.abs(local.offsetMinutes);
  return `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}T${pad(local.hour)}:${pad(local.minute)}:00${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`;
}

/** Parses `formatLocal` output or any ISO instant with an offset. */
export function parseInstant(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!match) throw new RangeError(`not an ISO time: ${text}`);
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const seconds = Number(match[6] ?? 0);
  const zone = match[7];
  const wallMs = daysFromCivil(year, month, day) * dayMs + (hour * 60 + minute) * minuteMs + seconds * 1000;
  if (zone === undefined) return fromLocalString(text.slice(0, 16));
  if (zone === 'Z') return wallMs;
  const zoneMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return wallMs - zoneMinutes * minuteMs;
}

export interface SimClock {
  startMs: number;
  tickMs: number;
  startEpochDay: number;
}

export function createSimClock(startLocal: string, tickMinutes: number): SimClock {
  const startMs = fromLocalString(startLocal);
  return { startMs, tickMs: tickMinutes * minuteMs, startEpochDay: toLocalTime(startMs).epochDay };
}

export function tickInstant(clock: SimClock, tick: number): number {
  return clock.startMs + tick * clock.tickMs;
}

/** Sim-day number (1 = the start date) of a tick. */
export function simDayOf(clock: SimClock, tick: number): number {
  return toLocalTime(tickInstant(clock, tick)).epochDay - clock.startEpochDay + 1;
}
