import type { BigIntStats } from 'node:fs';
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
  return entryStat(path, stats.mode, stats.uid, stats.gid, stats.size, stats.mtimeNs, stats.ctimeNs, stats.ino, stats.dev, stats.nlink, stats.rdev);
}

/**
 * An EntryStat of the `row`th entry of a native lstatAt output (native-fs.ts: mode, uid, gid,
 * size, mtime ns, ctime ns, ino, dev, nlink, rdev), the same as toEntryStat gives for node:fs's
 * bigint lstat of it; ERR_UNSUPPORTED naming `path` (a string, or made only then) for an unknown
 * kind of entry.
 */
export function entryStatOfRow(values: BigInt64Array, row: number, fields: number, path: string | (() => string)): EntryStat {
  const at = row * fields;
  // The kernel's ino, dev and rdev are unsigned, as node:fs gives them.
  return entryStat(path, values[at]!, values[at + 1]!, values[at + 2]!, values[at + 3]!, values[at + 4]!, values[at + 5]!,
    BigInt.asUintN(64, values[at + 6]!), BigInt.asUintN(64, values[at + 7]!), values[at + 8]!, BigInt.asUintN(64, values[at + 9]!));
}

/** The one place an EntryStat is made of a stat's values; ERR_UNSUPPORTED naming `path` for an unknown kind of entry. */
function entryStat(path: string | (() => string), mode: bigint, uid: bigint, gid: bigint, size: bigint, mtimeNs: bigint, ctimeNs: bigint, ino: bigint, dev: bigint, nlink: bigint, rdev: bigint): EntryStat {
  const bits = Number(mode);
  const type = nodeTypeOfMode(bits);
  if (type === undefined) {
    const named = typeof path === 'string' ? path : path();
    throw new CairnError('ERR_UNSUPPORTED', `${named} is a kind of entry cairn does not know (mode 0o${bits.toString(8)})`);
  }
  return {
    type,
    mode: bits & 0o7777,
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    mtimeNs,
    ctimeNs,
    ino,
    dev,
    nlink: Number(nlink),
    rdev: type === 'chardev' || type === 'blockdev' ? Number(rdev) : 0,
  };
}
