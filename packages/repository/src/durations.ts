/** A calendar duration as restic writes it ("1y5m7d2h"): years, months, days and hours. */
export interface CalendarDuration {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
}

const CALENDAR_UNITS = { y: 'years', m: 'months', d: 'days', h: 'hours' } as const;

/**
 * Parses a calendar duration such as "2y5m7d3h" or "36h" (each unit at most once, in any
 * order; m is months). RangeError naming the text when it is not one.
 */
export function parseCalendarDuration(text: string): CalendarDuration {
  const bad = (): RangeError => new RangeError(`not a duration: ${JSON.stringify(text)} (write a number of years, months, days and hours, e.g. 1y6m, 7d or 2y5m7d3h)`);
  if (typeof text !== 'string' || !/^(\d+[ymdh])+$/.test(text)) throw bad();
  const parts = { years: 0, months: 0, days: 0, hours: 0 };
  const seen = new Set<string>();
  for (const [, digits, unit] of text.matchAll(/(\d+)([ymdh])/g)) {
    if (digits === undefined || unit === undefined || seen.has(unit)) throw bad();
    seen.add(unit);
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) throw bad();
    parts[CALENDAR_UNITS[unit as keyof typeof CALENDAR_UNITS]] = value;
  }
  return parts;
}

/** "2y5m7d3h" for a calendar duration; "0h" when it is empty. */
export function formatCalendarDuration(duration: CalendarDuration): string {
  const text = (['years', 'months', 'days', 'hours'] as const)
    .filter((key) => duration[key] > 0)
    .map((key) => `${duration[key]}${key === 'months' ? 'm' : key[0]}`)
    .join('');
  return text === '' ? '0h' : text;
}

/** True when the duration is zero. */
export function isZeroDuration(duration: CalendarDuration): boolean {
  return duration.years === 0 && duration.months === 0 && duration.days === 0 && duration.hours === 0;
}

const INTERVAL_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a time interval into milliseconds: "0", "90s", "15m", "1h", "2d", "1h30m".
 * RangeError naming the text when it is not one.
 */
export function parseInterval(text: string): number {
  if (text === '0') return 0;
  if (typeof text !== 'string' || !/^(\d+(ms|s|m|h|d))+$/.test(text)) {
    throw new RangeError(`not a time interval: ${JSON.stringify(text)} (write e.g. 0, 90s, 15m, 1h or 2d)`);
  }
  let ms = 0;
  for (const [, digits, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(digits) * (INTERVAL_UNITS[unit ?? ''] ?? 0);
  if (!Number.isSafeInteger(ms)) throw new RangeError(`time interval ${JSON.stringify(text)} is too long`);
  return ms;
}

/** A short human form of a millisecond interval: "0s", "45s", "12m", "3h 5m", "2d 4h". */
export function formatInterval(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}
