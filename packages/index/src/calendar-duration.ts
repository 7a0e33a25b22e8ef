/** A calendar duration as restic writes it ("1y5m7d2h"): years, months, days and hours. */
export interface CalendarDuration {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
}

/** The longest calendar duration accepted, in years (a retention rule longer than that keeps everything anyway). */
export const MAX_DURATION_YEARS = 10_000;

const CALENDAR_UNITS = { y: 'years', m: 'months', d: 'days', h: 'hours' } as const;
// Hours in a unit, at its longest (leap years, 31-day months): the bound errs on the short side.
const HOURS_PER = { years: 8784, months: 744, days: 24, hours: 1 } as const;

/**
 * Parses a calendar duration such as "2y5m7d3h" or "36h" (each unit at most once, in any
 * order; m is months), at most MAX_DURATION_YEARS long. RangeError naming the text when it is not one.
 */
export function parseCalendarDuration(text: string): CalendarDuration {
  const bad = (why = ''): RangeError => new RangeError(`not a duration: ${JSON.stringify(text)}${why} (write a number of years, months, days and hours, e.g. 1y6m, 7d or 2y5m7d3h)`);
  if (typeof text !== 'string' || !/^(\d+[ymdh])+$/.test(text)) throw bad();
  const parts = { years: 0, months: 0, days: 0, hours: 0 };
  const seen = new Set<string>();
  let hours = 0;
  for (const [, digits, unit] of text.matchAll(/(\d+)([ymdh])/g)) {
    if (digits === undefined || unit === undefined || seen.has(unit)) throw bad();
    seen.add(unit);
    const key = CALENDAR_UNITS[unit as keyof typeof CALENDAR_UNITS];
    const value = Number(digits);
    hours += value * HOURS_PER[key];
    if (!Number.isSafeInteger(value) || !(hours <= MAX_DURATION_YEARS * HOURS_PER.years)) throw bad(`: longer than ${MAX_DURATION_YEARS} years`);
    parts[key] = value;
  }
  return parts;
}
