import { formatCalendarDuration, isZeroDuration } from '../repo/durations.js';
import type { CalendarDuration } from '../repo/durations.js';
import { snapshotKind } from '../repo/snapshots.js';
import type { SnapshotEntry, SnapshotKind } from '../repo/snapshots.js';

/**
 * Which snapshots to keep, with restic's semantics. Counts keep the newest snapshot of each of
 * the last n hours / days / ISO weeks / months / years that have snapshots (Infinity: all of
 * them); `within` keeps every snapshot newer than that duration before the newest snapshot;
 * `tags` keeps every snapshot holding all tags of one of the lists ([""] matches untagged ones).
 */
export interface RetentionPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  readonly within?: CalendarDuration;
  readonly tags?: readonly (readonly string[])[];
}

/** Options of applyPolicy. */
export interface RetentionOptions {
  /** The calendar of the hour / day / week / month / year buckets: this machine's time zone (default) or UTC. */
  readonly timeZone?: 'local' | 'utc';
  /** The current time: `within` counts back from the newest snapshot that is not after it (default: now). */
  readonly now?: Date;
}

/** A snapshot the policy keeps, and every rule that keeps it. */
export interface KeptSnapshot {
  readonly entry: SnapshotEntry;
  readonly reasons: readonly string[];
}

/** What a policy does to a list of snapshots, newest first in both lists. */
export interface PolicyResult {
  readonly keep: KeptSnapshot[];
  readonly remove: SnapshotEntry[];
}

/** What snapshots are grouped by before a policy applies (restic's --group-by). */
export type GroupKey = 'host' | 'paths' | 'tags';

/** Every GroupKey, for argument checking. */
export const GROUP_KEYS: readonly GroupKey[] = ['host', 'paths', 'tags'];

/** One group of snapshots: what they share, oldest first. */
export interface SnapshotGroup {
  /** `kind` is set for snapshots that are not backups (pre-restore): they always form groups of their own. */
  readonly key: { readonly hostname?: string; readonly paths?: readonly string[]; readonly tags?: readonly string[]; readonly kind?: SnapshotKind };
  readonly entries: SnapshotEntry[];
}

type CountRule = 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
const COUNT_RULES: readonly CountRule[] = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];

interface Calendar {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
}

/** True when the policy keeps nothing by any rule (restic refuses to apply it). */
export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  checkPolicy(policy);
  return COUNT_RULES.every((rule) => (policy[rule] ?? 0) === 0) &&
    (policy.within === undefined || isZeroDuration(policy.within)) &&
    (policy.tags === undefined || policy.tags.length === 0);
}

/** The policy in words: "keep 7 daily, 4 weekly snapshots and all snapshots with tags [keep]". */
export function describePolicy(policy: RetentionPolicy): string {
  checkPolicy(policy);
  const counts = COUNT_RULES.filter((rule) => (policy[rule] ?? 0) > 0)
    .map((rule) => `${policy[rule] === Infinity ? 'all' : String(policy[rule])} ${rule === 'last' ? 'latest' : rule}`);
  const parts = counts.length > 0 ? [`${counts.join(', ')} snapshots`] : [];
  if (policy.tags !== undefined && policy.tags.length > 0) parts.push(`all snapshots with tags ${policy.tags.map(tagListText).join(' or ')}`);
  if (policy.within !== undefined && !isZeroDuration(policy.within)) parts.push(`all snapshots within ${formatCalendarDuration(policy.within)} of the newest`);
  return parts.length === 0 ? 'keep nothing (empty policy)' : `keep ${parts.join(' and ')}`;
}

/**
 * Applies a policy to one group of snapshots (restic's ApplyPolicy): newest first, each
 * count rule keeps a snapshot whose bucket differs from the last one it kept while it has
 * counts left, and also the oldest snapshot when counts are left over. An empty policy
 * keeps everything.
 */
export function applyPolicy(entries: readonly SnapshotEntry[], policy: RetentionPolicy, options: RetentionOptions = {}): PolicyResult {
  checkPolicy(policy);
  const list = [...entries].sort(newestFirst);
  if (isEmptyPolicy(policy)) return { keep: list.map((entry) => ({ entry, reasons: ['policy is empty'] })), remove: [] };
  const utc = options.timeZone === 'utc';
  const nowNs = BigInt((options.now ?? new Date()).getTime()) * 1_000_000n;
  const within = policy.within !== undefined && !isZeroDuration(policy.within) ? policy.within : undefined;
  const threshold = within === undefined ? undefined : withinThreshold(list, within, nowNs, utc);
  const counters = COUNT_RULES.map((rule) => ({ rule, left: policy[rule] ?? 0, last: Number.NaN }));

  const keep: KeptSnapshot[] = [];
  const remove: SnapshotEntry[] = [];
  list.forEach((entry, nr) => {
    const reasons: string[] = [];
    for (const tags of policy.tags ?? []) {
      if (hasTags(entry.snapshot.tags, tags)) reasons.push(`has tags ${tagListText(tags)}`);
    }
    if (threshold !== undefined && within !== undefined && entry.snapshot.time > threshold) {
      reasons.push(`within ${formatCalendarDuration(within)}`);
    }
    const calendar = calendarOf(entry.snapshot.time, utc);
    for (const counter of counters) {
      if (counter.left <= 0) continue;
      const bucket = bucketOf(counter.rule, calendar, nr);
      const oldest = nr === list.length - 1;
      if (bucket === counter.last && !oldest) continue;
      reasons.push(`${bucket === counter.last ? 'oldest ' : ''}${counter.rule} snapshot`);
      counter.last = bucket;
      counter.left -= 1;
    }
    if (reasons.length > 0) keep.push({ entry, reasons });
    else remove.push(entry);
  });
  return { keep, remove };
}

/**
 * Splits snapshots into groups by host, paths and/or tags (none: one group); each group oldest
 * first. Snapshots that are not backups (pre-restore) are grouped apart, whatever `by` says.
 */
export function groupSnapshots(entries: readonly SnapshotEntry[], by: readonly GroupKey[]): SnapshotGroup[] {
  for (const key of by) {
    if (!GROUP_KEYS.includes(key)) throw new RangeError(`cannot group snapshots by ${JSON.stringify(key)}: use host, paths and/or tags`);
  }
  const groups = new Map<string, SnapshotGroup>();
  const ordered = [...entries].sort((a, b) => -newestFirst(a, b));
  for (const entry of ordered) {
    const s = entry.snapshot;
    const kind = snapshotKind(s);
    const key: SnapshotGroup['key'] = {
      ...(by.includes('host') ? { hostname: s.hostname } : {}),
      ...(by.includes('paths') ? { paths: [...s.paths].sort() } : {}),
      ...(by.includes('tags') ? { tags: [...s.tags].sort() } : {}),
      ...(kind === 'backup' ? {} : { kind }),
    };
    const text = JSON.stringify([key.hostname, key.paths, key.tags, key.kind]);
    let group = groups.get(text);
    if (group === undefined) groups.set(text, (group = { key, entries: [] }));
    group.entries.push(entry);
  }
  return [...groups.values()];
}

/** RangeError naming the rule unless every count is a whole number >= 0 (or Infinity) and tags are lists of strings. */
function checkPolicy(policy: RetentionPolicy): void {
  if (typeof policy !== 'object' || policy === null) throw new TypeError('a retention policy must be an object');
  for (const rule of COUNT_RULES) {
    const value = policy[rule];
    if (value !== undefined && value !== Infinity && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeError(`keep-${rule} must be a whole number of snapshots (or unlimited), not ${String(value)}`);
    }
  }
  for (const list of policy.tags ?? []) {
    if (!Array.isArray(list) || list.some((tag) => typeof tag !== 'string')) throw new TypeError('each keep-tag entry must be a list of tags');
  }
}

function newestFirst(a: SnapshotEntry, b: SnapshotEntry): number {
  if (a.snapshot.time !== b.snapshot.time) return a.snapshot.time > b.snapshot.time ? -1 : 1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** restic's HasTags: every tag of `list` is in `tags`; an empty tag matches an untagged snapshot. */
function hasTags(tags: readonly string[], list: readonly string[]): boolean {
  for (const tag of list) {
    if (tag === '' && tags.length === 0) return true;
    if (!tags.includes(tag)) return false;
  }
  return true;
}

function tagListText(list: readonly string[]): string {
  return list.length === 1 && list[0] === '' ? '[] (untagged)' : `[${list.join(',')}]`;
}

/** The time (ns) after which snapshots are "within": the newest snapshot not in the future, minus the duration. */
function withinThreshold(list: readonly SnapshotEntry[], within: CalendarDuration, nowNs: bigint, utc: boolean): bigint {
  const newest = list.find((entry) => entry.snapshot.time < nowNs);
  if (newest === undefined) return -(2n ** 63n); // nothing is in the past: everything is within
  const date = new Date(Number(newest.snapshot.time / 1_000_000n));
  if (utc) date.setUTCFullYear(date.getUTCFullYear() - within.years, date.getUTCMonth() - within.months, date.getUTCDate() - within.days);
  else date.setFullYear(date.getFullYear() - within.years, date.getMonth() - within.months, date.getDate() - within.days);
  const ms = date.getTime() - within.hours * 3_600_000;
  // Before the first date there is (a duration longer than any parse allows): everything is within.
  if (!Number.isSafeInteger(ms)) return -(2n ** 63n);
  const subMs = newest.snapshot.time % 1_000_000n;
  return BigInt(ms) * 1_000_000n + subMs;
}

function calendarOf(timeNs: bigint, utc: boolean): Calendar {
  const date = new Date(Number(timeNs / 1_000_000n));
  return utc
    ? { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: date.getUTCHours() }
    : { year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate(), hour: date.getHours() };
}

/** The bucket of a snapshot for one rule (restic's ymdh, ymd, yw, ym, y; `last` gives every snapshot its own). */
function bucketOf(rule: CountRule, c: Calendar, nr: number): number {
  switch (rule) {
    case 'last':
      return nr;
    case 'hourly':
      return c.year * 1_000_000 + c.month * 10_000 + c.day * 100 + c.hour;
    case 'daily':
      return c.year * 10_000 + c.month * 100 + c.day;
    case 'weekly': {
      const [year, week] = isoWeek(c.year, c.month, c.day);
      return year * 100 + week;
    }
    case 'monthly':
      return c.year * 100 + c.month;
    case 'yearly':
      return c.year;
  }
}

/** ISO 8601 week-numbering year and week of a calendar date (weeks start on Monday; week 1 holds January 4th). */
function isoWeek(year: number, month: number, day: number): [number, number] {
  const thursday = new Date(Date.UTC(year, month - 1, day));
  thursday.setUTCDate(thursday.getUTCDate() - ((thursday.getUTCDay() + 6) % 7) + 3);
  const isoYear = thursday.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(isoYear, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  return [isoYear, 1 + Math.round((thursday.getTime() - firstThursday.getTime()) / (7 * 86_400_000))];
}
