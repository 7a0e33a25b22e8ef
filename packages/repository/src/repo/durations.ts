import type { CalendarDuration } from '@cairn/index';

// The calendar duration is a config value too (retention.within): its parser lives with the config's decoder.
export { parseCalendarDuration, MAX_DURATION_YEARS } from '@cairn/index';
export type { CalendarDuration } from '@cairn/index';

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
