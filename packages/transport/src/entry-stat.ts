import type { BigIntStats } from 'node:fs';
import { CairnError } from '@cairn/core';
import type { EntryStat, NodeType } from '@cairn/core';

/** The NodeType of an lstat/fstat result, or undefined for a kind cairn does not know (a door, a whiteout). */
export function nodeTypeOf(stats: BigIntStats): NodeType | undefined {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'chardev';
  if (stats.isBlockDevice()) return 'blockdev';
  return undefined;
}

/** Maps a bigint lstat/fstat of `path` to an EntryStat; ERR_UNSUPPORTED for an unknown kind of entry. */
export function toEntryStat(stats: BigIntStats, path: string): EntryStat {
  const type = nodeTypeOf(stats);
  if (type === undefined) {
    throw new CairnError('ERR_UNSUPPORTED', `${path} is a kind of entry cairn does not know (mode 0o${stats.mode.toString(8)})`);
  }
  return {
    type,
    mode: Number(stats.mode & 0o7777n),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    size: Number(stats.size),
    mtimeNs: stats.mtimeNs,
    ctimeNs: stats.ctimeNs,
    ino: stats.ino,
    dev: stats.dev,
    nlink: Number(stats.nlink),
    rdev: type === 'chardev' || type === 'blockdev' ? Number(stats.rdev) : 0,
  };
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

/**
 * An EntryStat of the `row`th entry of a native lstatAt output (native-fs.ts: mode, uid, gid,
 * size, mtime ns, ctime ns, ino, dev, nlink, rdev), the same as toEntryStat gives for node:fs's
 * bigint lstat of it; ERR_UNSUPPORTED naming `path` (a string, or made only then) for an unknown
 * kind of entry.
 */
export function entryStatOfRow(values: BigInt64Array, row: number, fields: number, path: string | (() => string)): EntryStat {
  const at = row * fields;
  const mode = Number(values[at]!);
  const type = nodeTypeOfMode(mode);
  if (type === undefined) {
    const named = typeof path === 'string' ? path : path();
    throw new CairnError('ERR_UNSUPPORTED', `${named} is a kind of entry cairn does not know (mode 0o${mode.toString(8)})`);
  }
  return {
    type,
    mode: mode & 0o7777,
    uid: Number(values[at + 1]!),
    gid: Number(values[at + 2]!),
    size: Number(values[at + 3]!),
    mtimeNs: values[at + 4]!,
    ctimeNs: values[at + 5]!,
    // The kernel's numbers are unsigned, as node:fs gives them.
    ino: BigInt.asUintN(64, values[at + 6]!),
    dev: BigInt.asUintN(64, values[at + 7]!),
    nlink: Number(values[at + 8]!),
    rdev: type === 'chardev' || type === 'blockdev' ? Number(BigInt.asUintN(64, values[at + 9]!)) : 0,
  };
}
