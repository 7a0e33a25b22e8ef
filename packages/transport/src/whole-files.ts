import { closeSync, fchmodSync, fchownSync, ftruncateSync, futimesSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { sep } from 'node:path';
import { assertMetadata, CairnError, fromSystemError } from '@cairn/core';
import type { EntryMetadata, WholeFile } from '@cairn/core';
import { errnoOf } from './file-io.js';
import { nativeFs, systemError, writeFailure } from './native-fs.js';
import { fsPath } from './fs-path.js';
import { isRoot, utimeArgument } from './set-metadata.js';
import { writeSparseSync } from './sparse-write.js';
import { partialNameFor } from './temp-name.js';

const { EEXIST } = constants.errno;

/**
 * Writes `file` at `final` (its path below the target) synchronously: open, write (blocks of
 * zeros stay holes), the size, owner, mode and mtime on the open file, close; seven system calls
 * and no thread-pool round trips, which is what a restore of many small files spends its time
 * on. A fresh file is created in place with O_EXCL (never through a symlink; something that
 * appeared there since sends it the other way), with the native module in one call
 * (writeWholeAt); any other goes to a temporary name renamed over `final`. On failure, what it
 * made is removed and the error (node's) is thrown.
 */
export function writeWholeFileSync(final: string, file: Pick<WholeFile, 'data' | 'metadata' | 'fresh'>): void {
  let path = fsPath(final);
  let fd: number | undefined;
  let temp: string | Buffer | undefined;
  const native = file.fresh ? nativeFs() : null;
  if (native !== null) {
    // The same calls in one crossing (cairn-fs.c), skipping an owner or a mode the new file has already.
    const { data, metadata } = file;
    const result = metadata === undefined
      ? native.writeWholeAt(path, data, -1, 0, 0, 0n, false)
      : native.writeWholeAt(path, data, metadata.mode, metadata.uid, metadata.gid, metadata.mtimeNs, isRoot);
    if (result === 0) return;
    const { errno, syscall } = writeFailure(result);
    if (syscall !== 'open' || errno !== EEXIST) throw systemError(errno, syscall, final);
  } else if (file.fresh) {
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
  }
  if (fd === undefined) {
    const folder = final.lastIndexOf(sep) + 1;
    temp = fsPath(`${final.slice(0, folder)}${partialNameFor(final.slice(folder))}`);
    try {
      fd = openSync(temp, 'wx', 0o600);
    } catch (error) {
      // What a killed restore left under the partial name: unlinked (never written through), then made anew.
      if (errnoOf(error) !== 'EEXIST') throw error;
      unlinkSync(temp);
      fd = openSync(temp, 'wx', 0o600);
    }
    path = temp;
  }
  try {
    const { data, metadata } = file;
    if (writeSparseSync(fd, data, 0) !== data.byteLength) ftruncateSync(fd, data.byteLength);
    if (metadata !== undefined) applyFdMetadata(fd, metadata);
    closeSync(fd);
    fd = undefined;
    if (temp !== undefined) renameSync(temp, fsPath(final));
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // already gone: nothing of it is left
    }
    throw error;
  }
}

/** Owner (only as root; EPERM/EINVAL ignored), mode, then mtime of an open file. */
function applyFdMetadata(fd: number, meta: EntryMetadata): void {
  if (isRoot) {
    try {
      fchownSync(fd, meta.uid, meta.gid);
    } catch (error) {
      if (errnoOf(error) !== 'EPERM' && errnoOf(error) !== 'EINVAL') throw error;
    }
  }
  fchmodSync(fd, meta.mode);
  futimesSync(fd, Date.now() / 1000, utimeArgument(meta.mtimeNs));
}

/** Checks a WholeFile's shape (a bug in the caller is a TypeError, not a file error). */
export function assertWholeFile(file: WholeFile): void {
  if (!(file.data instanceof Uint8Array)) throw new TypeError(`file data must be a Uint8Array, got ${typeof file.data}`);
  if (file.metadata !== undefined) assertMetadata(file.metadata);
}

/** The error writeFiles reports for `file` at `final`: node's errors translated, others as they are. */
export function wholeFileError(error: unknown, final: string): unknown {
  return errnoOf(error) === undefined ? error : fromSystemError(error, final);
}

/** True for an error after which a target takes no more writes (it is full). */
export function endsWriting(error: unknown): boolean {
  return error instanceof CairnError && error.code === 'ERR_NO_SPACE';
}
