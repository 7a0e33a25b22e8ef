import type { Command } from 'commander';
import { parseCalendarDuration } from '@cairn/repository';
import type { RetentionPolicy } from '@cairn/repository/maintenance';
import { parseCount, parseFlag } from './usage.js';

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

/** The rules the --keep-* flags give (empty when none); ERR_USAGE naming a bad count (negative, fractional) or duration. */
export function policyFromFlags(flags: KeepFlags): RetentionPolicy {
  const count = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    if (value === 'unlimited') return Infinity;
    return parseCount(`--keep-${flag}`, value, 'a whole number of snapshots (0 or more) or "unlimited"');
  };
  const entries = Object.entries({
    last: count(flags.keepLast, 'last'),
    hourly: count(flags.keepHourly, 'hourly'),
    daily: count(flags.keepDaily, 'daily'),
    weekly: count(flags.keepWeekly, 'weekly'),
    monthly: count(flags.keepMonthly, 'monthly'),
    yearly: count(flags.keepYearly, 'yearly'),
    within: flags.keepWithin === undefined ? undefined : parseFlag('--keep-within', flags.keepWithin, parseCalendarDuration),
    tags: flags.keepTag.length === 0 ? undefined : flags.keepTag.map(splitTags),
  }).filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries) as RetentionPolicy;
}

/** Declares the --keep-* options on a command (`forget`, `config retention`). */
export function addKeepOptions(command: Command): Command {
  return command
    .option('--keep-last <n>', 'keep the n newest snapshots ("unlimited": all)')
    .option('--keep-hourly <n>', 'keep the newest snapshot of each of the last n hours that have one')
    .option('--keep-daily <n>', 'keep the newest snapshot of each of the last n days that have one')
    .option('--keep-weekly <n>', 'keep the newest snapshot of each of the last n ISO weeks that have one')
    .option('--keep-monthly <n>', 'keep the newest snapshot of each of the last n months that have one')
    .option('--keep-yearly <n>', 'keep the newest snapshot of each of the last n years that have one')
    .option('--keep-within <duration>', 'keep every snapshot within this long of the newest (e.g. 1y6m, 14d, 36h)')
    .option('--keep-tag <tags>', 'keep every snapshot with all these tags (comma-separated; repeatable; "" for untagged)', (value: string, previous: string[]) => [...previous, value], []);
}
