import { describe, expect, it } from 'vitest';
import { entryStatOfRow } from '../src/entry-stat.js';

const FIELDS = 10;

/** A row of native values (mode, uid, gid, size, mtime ns, ctime ns, ino, dev, nlink, rdev). */
function row(values: readonly bigint[]): BigInt64Array {
  return BigInt64Array.from(values);
}

describe('entryStatOfRow', () => {
  it('reads the fields an EntryStat holds as numbers from their 32-bit words, as Number() of each value gives them', () => {
    const size = 5n * 2n ** 30n + 7n; // past 2^32
    const rdev = (2n ** 40n) + 259n; // high bits set
    const values = row([0o020644n, 4294967294n, 2147483648n, size, 1_700_000_000_123_456_789n, 1_700_000_001_000_000_000n, -2n, -3n, 3n, rdev]);
    expect(entryStatOfRow(values, 0, FIELDS, 'dev/x')).toEqual({
      type: 'chardev', mode: 0o644, uid: 4294967294, gid: 2147483648, size: Number(size),
      mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: 1_700_000_001_000_000_000n,
      ino: 2n ** 64n - 2n, dev: 2n ** 64n - 3n, nlink: 3, rdev: Number(rdev),
    });
  });

  it('reads the row asked for, from rows of several entries and from a view that does not start its buffer, and names an unknown kind of entry', () => {
    const two = row([0o100600n, 1n, 2n, 10n, 5n, 6n, 7n, 8n, 1n, 0n, 0o040755n, 1000n, 1000n, 2n ** 33n, 9n, 10n, 11n, 12n, 2n, 99n]);
    expect(entryStatOfRow(two, 1, FIELDS, 'b')).toMatchObject({ type: 'dir', mode: 0o755, uid: 1000, size: 2 ** 33, nlink: 2, rdev: 0 });
    expect(entryStatOfRow(two, 0, FIELDS, 'a')).toMatchObject({ type: 'file', mode: 0o600, size: 10, ino: 7n, dev: 8n });
    const shifted = new BigInt64Array(two.buffer, 8 * FIELDS, FIELDS);
    expect(entryStatOfRow(shifted, 0, FIELDS, 'b')).toEqual(entryStatOfRow(two, 1, FIELDS, 'b'));
    expect(() => entryStatOfRow(row([0o170000n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]), 0, FIELDS, () => '/odd')).toThrow('/odd is a kind of entry cairn does not know (mode 0o170000)');
  });
});
