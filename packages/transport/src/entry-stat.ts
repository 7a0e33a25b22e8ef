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
