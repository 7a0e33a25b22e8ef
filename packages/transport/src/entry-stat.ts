import type { BigIntStats } from 'node:fs';
import { endianness } from 'node:os';
import { CairnError } from '@cairn/core';
import type { EntryStat, NodeType } from '@cairn/core';

/** The NodeType of an lstat/fstat result, or undefined for a kind cairn does not know (a door, a whiteout). */
export function nodeTypeOf(stats: BigIntStats): NodeType | undefined {
  return nodeTypeOfMode(Number(stats.mode));
}

/** The NodeType of an lstat mode's format bits, or undefined for a kind cairn does not know. */
export function nodeTypeOfMode(mode: number): NodeType | undefined {
  switch (mode & 0o170000) {
    case 0o100000: return 'file';
    case 0o040000: return 'dir';
    case 0o120000: return 'symlink';
    case 0o010000: return 'fifo';
    case 0o140000: return 'socket';
    case 0o020000: return 'chardev';
    case 0o060000: return 'blockdev';
    default: return undefined;
  }
}

/** Maps a bigint lstat/fstat of `path` to an EntryStat; ERR_UNSUPPORTED for an unknown kind of entry. */
export function toEntryStat(stats: BigIntStats, path: string): EntryStat {
  return entryStat(path, Number(stats.mode), Number(stats.uid), Number(stats.gid), Number(stats.size), stats.mtimeNs, stats.ctimeNs, stats.ino, stats.dev, Number(stats.nlink), Number(stats.rdev));
}

/** Which 32-bit word of a 64-bit value in memory is its low one. */
const LOW = endianness() === 'LE' ? 0 : 1;
const WORD = 2 ** 32;

/** The 32-bit view of the last rows read (native calls reuse their rows: one view for many entries). */
let viewed: BigInt64Array | undefined;
let words: Uint32Array = new Uint32Array(0);

/**
 * An EntryStat of the `row`th entry of a native lstatAt output (native-fs.ts: mode, uid, gid,
 * size, mtime ns, ctime ns, ino, dev, nlink, rdev), the same as toEntryStat gives for node:fs's
 * bigint lstat of it; ERR_UNSUPPORTED naming `path` (a string, or made only then) for an unknown
 * kind of entry. The fields an EntryStat holds as numbers are read as two 32-bit words, not as
 * BigInts: seven BigInts fewer per entry (a no-op backup made thirteen per entry, and their garbage).
 */
export function entryStatOfRow(values: BigInt64Array, row: number, fields: number, path: string | (() => string)): EntryStat {
  if (viewed !== values) {
    viewed = values;
    words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  }
  const at = row * fields;
  // The kernel's ino, dev and rdev are unsigned, as node:fs gives them (rdev read unsigned from its words).
  return entryStat(path, unsignedAt(at), unsignedAt(at + 1), unsignedAt(at + 2), unsignedAt(at + 3), values[at + 4]!, values[at + 5]!,
    BigInt.asUintN(64, values[at + 6]!), BigInt.asUintN(64, values[at + 7]!), unsignedAt(at + 8), unsignedAt(at + 9));
}

/** The 64-bit value at `index` of the rows `words` views, unsigned, as a number (exact below 2^53, as Number() of a BigInt is). */
function unsignedAt(index: number): number {
  return words[index * 2 + LOW]! + words[index * 2 + 1 - LOW]! * WORD;
}

/** The one place an EntryStat is made of a stat's values; ERR_UNSUPPORTED naming `path` for an unknown kind of entry. */
function entryStat(path: string | (() => string), mode: number, uid: number, gid: number, size: number, mtimeNs: bigint, ctimeNs: bigint, ino: bigint, dev: bigint, nlink: number, rdev: number): EntryStat {
  const type = nodeTypeOfMode(mode);
  if (type === undefined) {
    const named = typeof path === 'string' ? path : path();
    throw new CairnError('ERR_UNSUPPORTED', `${named} is a kind of entry cairn does not know (mode 0o${mode.toString(8)})`);
  }
  return {
    type,
    mode: mode & 0o7777,
    uid,
    gid,
    size,
    mtimeNs,
    ctimeNs,
    ino,
    dev,
    nlink,
    rdev: type === 'chardev' || type === 'blockdev' ? rdev : 0,
  };
}
