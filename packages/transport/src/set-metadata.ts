import { chmodSync, lchownSync, lstatSync, lutimesSync } from 'node:fs';
import { CairnError, fromSystemError } from '@cairn/core';
import type { EntryMetadata, NodeType } from '@cairn/core';
import { nodeTypeOf } from './entry-stat.js';
import { errnoOf } from './file-io.js';
import { fsPath } from './fs-path.js';

/**
 * The mtime argument for fs.lutimes that lands on the right microsecond. Node hands libuv
 * a double of seconds and libuv truncates it to microseconds (towards zero), so aim at the
 * middle of the microsecond. A numeric string, because Node turns a negative number
 * (a time before 1970) into "now" but takes a negative numeric string as it is.
 */
export function utimeArgument(ns: bigint): string {
  const micros = ns >= 0n ? ns / 1000n : -((-ns + 999n) / 1000n);
  const seconds = micros / 1_000_000n;
  const rest = micros % 1_000_000n;
  return String(Number(seconds) + (Number(rest) + (micros >= 0n ? 0.5 : -0.5)) / 1e6);
}

/** Whether this process runs as root: only root sets owners (read once; every restored entry asks). */
export const isRoot = process.getuid?.() === 0;

/**
 * Applies owner (only as root; EPERM/EINVAL ignored), mode (not for a symlink) and mtime
 * (atime becomes now) to the entry at `file` without following it: lchown, lutimes, and
 * chmod only once lstat showed the entry is not a symlink. ERR_EXISTS when the entry is
 * a symlink but `type` is not, or the other way round. The calls are synchronous (a restore
 * makes them for every folder and symlink; a thread-pool round trip each cost more than the call).
 */
export async function applyMetadata(file: string, type: NodeType, meta: EntryMetadata): Promise<void> {
  const at = fsPath(file);
  try {
    const actual = nodeTypeOf(lstatSync(at, { bigint: true }));
    if ((actual === 'symlink') !== (type === 'symlink')) {
      throw new CairnError('ERR_EXISTS', `${file} is a ${actual ?? 'unknown entry'}, not a ${type}: its metadata was not set`);
    }
    if (type !== 'symlink') {
      setOwner(at, meta);
      chmodSync(at, meta.mode);
      lutimesSync(at, Date.now() / 1000, utimeArgument(meta.mtimeNs));
      return;
    }
    setOwnerAndTime(at, meta);
  } catch (error) {
    throw fromSystemError(error, file);
  }
}

/** Owner (only as root; EPERM/EINVAL ignored) and mtime of the symlink at `file` this target just made: applyMetadata without looking at it again. */
export function setSymlinkMetadata(file: string, meta: EntryMetadata): void {
  try {
    setOwnerAndTime(fsPath(file), meta);
  } catch (error) {
    throw fromSystemError(error, file);
  }
}

/** lchown (as root; EPERM/EINVAL ignored) and lutimes of `at`, never following it. */
function setOwnerAndTime(at: string | Buffer, meta: EntryMetadata): void {
  setOwner(at, meta);
  lutimesSync(at, Date.now() / 1000, utimeArgument(meta.mtimeNs));
}

function setOwner(at: string | Buffer, meta: EntryMetadata): void {
  if (!isRoot) return;
  try {
    lchownSync(at, meta.uid, meta.gid);
  } catch (error) {
    if (errnoOf(error) !== 'EPERM' && errnoOf(error) !== 'EINVAL') throw error;
  }
}
