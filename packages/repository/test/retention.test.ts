import { describe, expect, it } from 'vitest';
import { parseCalendarDuration } from '@cairn/repository';
import { applyPolicy, describePolicy, groupSnapshots, isEmptyPolicy } from '@cairn/repository/maintenance';
import type { SnapshotEntry } from '@cairn/repository';
import type { RetentionPolicy } from '@cairn/repository/maintenance';

const ZERO_SUMMARY = {
  filesNew: 0, filesChanged: 0, filesUnchanged: 0, filesReferenced: 0, dirs: 0, symlinks: 0, others: 0, bytesRead: 0, bytesAdded: 0,
  dataBlobsAdded: 0, treeBlobsAdded: 0, packsAdded: 0, warnings: 0, durationMs: 0,
};

function entry(id: string, iso: string, extra: { tags?: string[]; host?: string; paths?: string[] } = {}): SnapshotEntry {
  return {
    id,
    snapshot: {
      time: BigInt(Date.parse(iso)) * 1_000_000n,
      tree: new Uint8Array(32),
      paths: extra.paths ?? ['/home/ana'],
      hostname: extra.host ?? 'laptop',
      username: 'ana',
      tags: extra.tags ?? [],
      description: '',
      meta: {},
      parent: null,
      program: 'test',
      summary: ZERO_SUMMARY,
    },
  };
}

// The timeline (UTC). Comments: ISO week, and what shares a bucket.
const TIMELINE: SnapshotEntry[] = [
  entry('s01', '2022-03-15T10:00:00Z'), //                 2022-W11
  entry('s02', '2022-11-30T23:30:00Z'), //                 2022-W48
  entry('s03', '2023-01-02T08:00:00Z', { tags: ['keep'] }), // Monday, 2023-W01 (Jan 1st is still 2022-W52)
  entry('s04', '2023-06-10T12:00:00Z'), //                 2023-W23
  entry('s05', '2023-12-31T22:00:00Z'), // Sunday,         2023-W52
  entry('s06', '2024-01-01T01:00:00Z'), // Monday,         2024-W01
  entry('s07', '2024-02-29T09:00:00Z', { tags: ['keep', 'monthly'] }), // leap day, 2024-W09
  entry('s08', '2024-03-01T09:00:00Z'), //                 2024-W09
  entry('s09', '2024-03-04T08:00:00Z'), // same hour as s10, 2024-W10
  entry('s10', '2024-03-04T08:30:00Z', { tags: ['monthly'] }),
  entry('s11', '2024-03-04T17:00:00Z'),
  entry('s12', '2024-03-05T07:00:00Z'), // same hour as s13
  entry('s13', '2024-03-05T07:45:00Z'),
  entry('s14', '2024-03-06T23:59:00Z'),
  entry('s15', '2024-03-07T00:00:00Z'), // same day as s16
  entry('s16', '2024-03-07T06:00:00Z'), // the newest
];
const NOW = new Date('2024-03-08T00:00:00Z');

function kept(policy: RetentionPolicy, now = NOW): string[] {
  return applyPolicy(TIMELINE, policy, { timeZone: 'utc', now }).keep.map((k) => k.entry.id).sort();
}

function reasons(policy: RetentionPolicy): Record<string, readonly string[]> {
  return Object.fromEntries(applyPolicy(TIMELINE, policy, { timeZone: 'utc', now: NOW }).keep.map((k) => [k.entry.id, k.reasons]));
}

const ids = (...n: number[]): string[] => n.map((i) => `s${String(i).padStart(2, '0')}`).sort();
const all = ids(...Array.from({ length: 16 }, (_, i) => i + 1));
const allBut = (...n: number[]): string[] => all.filter((id) => !ids(...n).includes(id));

describe('retention policy on a timeline', () => {
  it('keep-last keeps the n newest', () => {
    expect(kept({ last: 3 })).toEqual(ids(16, 15, 14));
    expect(kept({ last: 40 })).toEqual(all);
  });

  it('keep-hourly keeps the newest of each of the last n hours that have snapshots', () => {
    expect(kept({ hourly: 4 })).toEqual(ids(16, 15, 14, 13));
    expect(kept({ hourly: 6 })).toEqual(ids(16, 15, 14, 13, 11, 10)); // s12 shares s13's hour
    expect(kept({ hourly: 100 })).toEqual(allBut(12, 9));
  });

  it('keep-daily keeps one per day; unlimited keeps every day', () => {
    expect(kept({ daily: 3 })).toEqual(ids(16, 14, 13));
    expect(kept({ daily: Infinity })).toEqual(allBut(15, 12, 10, 9));
  });

  it('keep-weekly uses ISO weeks (Monday to Sunday; the year of the week)', () => {
    expect(kept({ weekly: 2 })).toEqual(ids(16, 8));
    // 2023-12-31 (Sunday) and 2024-01-01 (Monday) are different weeks; 2023-01-02 starts 2023-W01.
    expect(kept({ weekly: 8 })).toEqual(ids(16, 8, 6, 5, 4, 3, 2, 1));
  });

  it('keep-monthly and keep-yearly; counts left over keep the oldest snapshot too ("oldest")', () => {
    expect(kept({ monthly: 3 })).toEqual(ids(16, 7, 6));
    expect(kept({ yearly: 10 })).toEqual(ids(16, 5, 2, 1));
    expect(reasons({ yearly: 10 })).toEqual({ s16: ['yearly snapshot'], s05: ['yearly snapshot'], s02: ['yearly snapshot'], s01: ['oldest yearly snapshot'] });
    expect(kept({ yearly: 3 })).toEqual(ids(16, 5, 2)); // no count left: no extra oldest
  });

  it('keep-within counts back from the newest snapshot (strictly after), ignoring snapshots in the future', () => {
    expect(kept({ within: parseCalendarDuration('2d') })).toEqual(ids(16, 15, 14, 13, 12));
    expect(kept({ within: parseCalendarDuration('1m') })).toEqual(ids(16, 15, 14, 13, 12, 11, 10, 9, 8, 7));
    expect(kept({ within: parseCalendarDuration('6h') })).toEqual(ids(16)); // s15 is exactly 6 h before: not after
    // Run at 03:00: s16 is in the future, so s15 is the newest and the window ends there (s16 is kept too).
    expect(kept({ within: parseCalendarDuration('6h') }, new Date('2024-03-07T03:00:00Z'))).toEqual(ids(16, 15, 14));
    expect(kept({ within: parseCalendarDuration('1y1m') })).toEqual(allBut(1, 2, 3)); // back to 2023-02-07 06:00
  });

  it('keep-tag keeps snapshots that have every tag of one of the lists; [""] keeps untagged ones', () => {
    expect(kept({ tags: [['keep']] })).toEqual(ids(3, 7));
    expect(kept({ tags: [['keep', 'monthly']] })).toEqual(ids(7));
    expect(kept({ tags: [['monthly'], ['keep']] })).toEqual(ids(3, 7, 10));
    expect(kept({ tags: [['']] })).toEqual(allBut(3, 7, 10));
  });

  it('rules combine with OR, and every rule that keeps a snapshot is named', () => {
    const policy = { last: 2, daily: 3, monthly: 2, tags: [['keep']] };
    expect(kept(policy)).toEqual(ids(16, 15, 14, 13, 7, 3));
    expect(reasons(policy)).toEqual({
      s16: ['last snapshot', 'daily snapshot', 'monthly snapshot'],
      s15: ['last snapshot'],
      s14: ['daily snapshot'],
      s13: ['daily snapshot'],
      s07: ['has tags [keep]', 'monthly snapshot'],
      s03: ['has tags [keep]'],
    });
    const result = applyPolicy(TIMELINE, policy, { timeZone: 'utc', now: NOW });
    expect(result.remove.map((e) => e.id)).toEqual(['s12', 's11', 's10', 's09', 's08', 's06', 's05', 's04', 's02', 's01']); // newest first
    expect(describePolicy(policy)).toBe('keep 2 latest, 3 daily, 2 monthly snapshots and all snapshots with tags [keep]');
  });

  it('buckets follow the local time zone unless told to use UTC', () => {
    const saved = process.env['TZ'];
    process.env['TZ'] = 'America/New_York';
    try {
      // s15 (00:00 UTC) is 19:00 on March 6th in New York: the newest of its day there; in UTC it shares s16's day.
      expect(applyPolicy(TIMELINE, { daily: 2 }, { timeZone: 'local', now: NOW }).keep.map((k) => k.entry.id)).toEqual(['s16', 's15']);
      expect(applyPolicy(TIMELINE, { daily: 2 }, { timeZone: 'utc', now: NOW }).keep.map((k) => k.entry.id)).toEqual(['s16', 's14']);
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
  });

  it('an empty policy keeps everything and says so; bad counts and durations are RangeErrors naming the value', () => {
    expect(isEmptyPolicy({ last: 0, daily: 0, tags: [] })).toBe(true);
    expect(isEmptyPolicy({ tags: [['x']] })).toBe(false);
    expect(applyPolicy(TIMELINE, {}).keep.every((k) => k.reasons[0] === 'policy is empty')).toBe(true);
    expect(() => applyPolicy(TIMELINE, { last: -1 })).toThrow(/keep-last must be a whole number of snapshots \(or unlimited\), not -1/);
    expect(() => applyPolicy(TIMELINE, { weekly: 1.5 })).toThrow(RangeError);
    expect(parseCalendarDuration('2y5m7d3h')).toEqual({ years: 2, months: 5, days: 7, hours: 3 });
    expect(() => parseCalendarDuration('1w')).toThrow(/not a duration: "1w"/);
    expect(() => parseCalendarDuration('1d1d')).toThrow(RangeError);
    // Bounded: a duration past any date is refused, not turned into NaN.
    expect(() => parseCalendarDuration('99999999999y')).toThrow(/not a duration: "99999999999y": longer than 10000 years/);
    expect(() => parseCalendarDuration('9999y13m')).toThrow(RangeError);
    expect(() => parseCalendarDuration('99999999999999999999h')).toThrow(RangeError);
    expect(parseCalendarDuration('10000y')).toEqual({ years: 10000, months: 0, days: 0, hours: 0 });
    // A policy built in code with a longer one keeps everything rather than failing.
    const huge = applyPolicy(TIMELINE, { within: { years: 1e9, months: 0, days: 0, hours: 0 } });
    expect(huge.remove).toEqual([]);
  });

  it('groups by host and paths by default, by anything or nothing when asked', () => {
    const mixed = [
      entry('a1', '2024-01-01T00:00:00Z', { host: 'one', paths: ['/x', '/y'] }),
      entry('a2', '2024-01-02T00:00:00Z', { host: 'one', paths: ['/y', '/x'], tags: ['t'] }),
      entry('b1', '2024-01-03T00:00:00Z', { host: 'two', paths: ['/x', '/y'] }),
    ];
    expect(groupSnapshots(mixed, ['host', 'paths']).map((g) => [g.key, g.entries.map((e) => e.id)])).toEqual([
      [{ hostname: 'one', paths: ['/x', '/y'] }, ['a1', 'a2']],
      [{ hostname: 'two', paths: ['/x', '/y'] }, ['b1']],
    ]);
    expect(groupSnapshots(mixed, ['tags']).map((g) => g.entries.map((e) => e.id))).toEqual([['a1', 'b1'], ['a2']]);
    expect(groupSnapshots(mixed, []).map((g) => g.entries.length)).toEqual([3]);
    expect(() => groupSnapshots(mixed, ['color' as never])).toThrow(/cannot group snapshots by "color"/);
  });
});
