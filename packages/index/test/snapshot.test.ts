import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot } from '@cairn/index';
import type { Snapshot, SnapshotSummary } from '@cairn/index';
import { expectCairnError, fixedId, packr } from './helpers.js';

const summary: SnapshotSummary = {
  filesNew: 10, filesChanged: 2, filesUnchanged: 300, filesReferenced: 0, dirs: 40, symlinks: 3, others: 1, bytesRead: 6 * 2 ** 30,
  bytesAdded: 123_456, dataBlobsAdded: 12, treeBlobsAdded: 5, packsAdded: 1, warnings: 0, durationMs: 4321,
};
const snapshot: Snapshot = {
  time: 1_704_164_645_123_456_789n,
  tree: fixedId(7),
  paths: ['/home/ana/proj', '/etc'],
  hostname: 'laptop',
  username: 'ana',
  tags: ['daily', 'ünïcödé'],
  description: 'before the upgrade',
  meta: { zone: 'eu', app: 'cairn' },
  parent: fixedId(8),
  program: 'cairn 0.1.0',
  summary,
};
const WHERE = 'snapshots/9c0ffee';
const KEYS = ['v', 'time', 'tree', 'paths', 'hostname', 'username', 'tags', 'description', 'meta', 'parent', 'program', 'summary'];

/** The wire map of `snapshot`, to break by hand. */
function wireOf(s: Snapshot): Record<string, unknown> {
  return packr.unpack(encodeSnapshot(s)) as Record<string, unknown>;
}

describe('snapshots', () => {
  it('round-trips, with or without a parent', () => {
    expect(decodeSnapshot(encodeSnapshot(snapshot), WHERE)).toEqual(snapshot);
    const first = { ...snapshot, parent: null, time: -5n, meta: {}, tags: [] };
    expect(decodeSnapshot(encodeSnapshot(first), WHERE)).toEqual(first);
  });

  it('writes the keys in the documented order and is deterministic', () => {
    const bytes = encodeSnapshot(snapshot);
    const wire = packr.unpack(bytes.subarray()) as Record<string, unknown>;
    expect(Object.keys(wire)).toEqual(KEYS);
    expect(Object.keys(wire['summary'] as object)).toEqual(Object.keys(summary));
    expect(wire['time']).toBe(snapshot.time);
    // The same snapshot with meta keys inserted in another order gives the same bytes.
    expect(encodeSnapshot({ ...snapshot, meta: { app: 'cairn', zone: 'eu' } })).toEqual(bytes);
    expect(encodeSnapshot(decodeSnapshot(bytes, WHERE))).toEqual(bytes);
  });

  it('reads a summary with unknown extra counts and missing optional ones', () => {
    const wire = wireOf(snapshot);
    wire['summary'] = { filesNew: 4, futureCount: 9 };
    const decoded = decodeSnapshot(packr.pack(wire), WHERE);
    expect(decoded.summary).toEqual({ ...Object.fromEntries(Object.keys(summary).map((k) => [k, 0])), filesNew: 4 });
    expect(decoded.summary).not.toHaveProperty('futureCount');
  });

  it('refuses a missing required field, naming it', () => {
    for (const key of KEYS.slice(1)) {
      const wire = wireOf(snapshot);
      delete wire[key];
      expectCairnError(() => decodeSnapshot(packr.pack(wire), WHERE), 'ERR_FORMAT', WHERE, `${key} is missing`);
    }
  });

  it('refuses fields of the wrong shape', () => {
    const cases: [string, unknown, string][] = [
      ['tree', new Uint8Array(31), 'tree is 31 bytes'],
      ['parent', 'abc', 'parent is "abc"'],
      ['paths', ['/a', 3], 'paths[1] is 3'],
      ['meta', { a: 1 }, 'meta["a"] is 1'],
      ['time', 1.5, 'time is 1.5'],
      ['summary', { dirs: -2 }, 'summary.dirs is -2'],
      ['extra', true, 'the top level.extra is not a known key'],
    ];
    for (const [key, value, message] of cases) {
      const wire = { ...wireOf(snapshot), [key]: value };
      expectCairnError(() => decodeSnapshot(packr.pack(wire), WHERE), 'ERR_FORMAT', WHERE, message);
    }
  });

  it('refuses another version and a truncated file', () => {
    const wire = { ...wireOf(snapshot), v: 3 };
    expectCairnError(() => decodeSnapshot(packr.pack(wire), WHERE), 'ERR_VERSION', WHERE, 'version 3', 'reads versions 1 to 2');
    const bytes = encodeSnapshot(snapshot);
    for (const cut of [1, 10, bytes.length / 2, bytes.length - 1]) {
      expectCairnError(() => decodeSnapshot(bytes.subarray(0, Math.floor(cut)), WHERE), 'ERR_FORMAT', WHERE);
    }
  });

  it('refuses bad arguments to the encoder', () => {
    expect(() => encodeSnapshot({ ...snapshot, time: 5 as unknown as bigint })).toThrow(/snapshot.time must be a bigint/);
    expect(() => encodeSnapshot({ ...snapshot, summary: { ...summary, warnings: -1 } })).toThrow(RangeError);
    expect(() => encodeSnapshot({ ...snapshot, tags: ['ok', '\uD800'] })).toThrow(/snapshot.tags\[1\]/);
  });
});
