import { parseCalendarDuration } from '@cairn/repository';
import type { RetentionPolicy } from '@cairn/repository';

/** The --keep-* flags as commander gives them (`forget` and `config retention`). */
export interface KeepFlags {
  readonly keepLast?: string;
  readonly keepHourly?: string;
  readonly keepDaily?: string;
  readonly keepWeekly?: string;
  readonly keepMonthly?: string;
  readonly keepYearly?: string;
  readonly keepWithin?: string;
  readonly keepTag: string[];
}

/** "a,b" -> ["a", "b"]; "" -> [""] (untagged). */
export function splitTags(list: string): string[] {
  return list === '' ? [''] : list.split(',').map((t) => t.trim()).filter((t) => t !== '');
}

/** The rules the --keep-* flags give (empty when none); RangeError naming a bad count. */
export function policyFromFlags(flags: KeepFlags): RetentionPolicy {
  const count = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    if (value === 'unlimited' || value === '-1') return Infinity;
    if (!/^\d+$/.test(value)) throw new RangeError(`--keep-${flag} wants a number of snapshots or "unlimited", not ${JSON.stringify(value)}`);
    return Number(value);
  };
  const entries = Object.entries({
    last: count(flags.keepLast, 'last'),
    hourly: count(flags.keepHourly, 'hourly'),
    daily: count(flags.keepDaily, 'daily'),
    weekly: count(flags.keepWeekly, 'weekly'),
    monthly: count(flags.keepMonthly, 'monthly'),
    yearly: count(flags.keepYearly, 'yearly'),
    within: flags.keepWithin === undefined ? undefined : parseCalendarDuration(flags.keepWithin),
    tags: flags.keepTag.length === 0 ? undefined : flags.keepTag.map(splitTags),
  }).filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries) as RetentionPolicy;
}
