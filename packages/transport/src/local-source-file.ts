import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { CairnError, fromSystemError } from '@cairn/core';
import type { EntryStat, SourceFile, WholeRead } from '@cairn/core';
import { entryStatOfRow, nodeTypeOf, nodeTypeOfMode, toEntryStat } from './entry-stat.js';
import { closeOnce, errnoOf } from './file-io.js';
import { fsPath } from './fs-path.js';
import { nativeFs, systemError } from './native-fs.js';
import type { NativeFs } from './native-fs.js';

const openFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Opens the regular file at `path` without following a symlink and without blocking on
 * a fifo; anything that is not a regular file is ERR_UNSUPPORTED naming the path and its type.
 * `at` is where the file system finds it (`path` itself, or a name under an open folder);
 * with `expected`, a file that is not that entry (another device or inode) is ERR_NOT_FOUND.
 * The calls are synchronous (see createLocalSource).
 */
export function openLocalFile(path: string, at: string = path, expected?: EntryStat): SourceFile {
  let fd: number;
  try {
    fd = openSync(fsPath(at), openFlags);
  } catch (error) {
    // O_NOFOLLOW on a symlink gives ELOOP; opening a socket gives ENXIO.
    if (isSpecialOpenError(errnoOf(error))) refuseIfSpecial(path, () => nodeTypeOf(lstatSync(fsPath(at), { bigint: true })), error);
    throw fromSystemError(error, path);
  }
  let opened: EntryStat;
  try {
    opened = fstatEntry(fd, path);
  } catch (error) {
    closeSync(fd);
    throw fromSystemError(error, path);
  }
  return checkedFile(fd, path, opened, expected);
}

/**
 * openLocalFile of the entry `name` of the open folder `dirfd`, with the native calls: one
 * openat from the folder's descriptor (no path to resolve, nothing above the folder to redirect
 * it) and the fstat of what it opened, in one call.
 */
export function openLocalFileAt(native: NativeFs, dirfd: number, name: string, path: string, expected?: EntryStat): SourceFile {
  const { fd, opened } = openEntryAt(native, dirfd, name, path, false, (error) => {
    if (isSpecialOpenError(error.code)) {
      refuseIfSpecial(path, () => {
        const row = rowFor(native);
        const [errno] = native.lstatAt(dirfd, [fsPath(name)], row);
        return errno === 0 ? nodeTypeOfMode(Number(row[0])) : undefined;
      }, error);
    }
    throw fromSystemError(error, path);
  });
  return checkedFile(fd, path, opened, expected);
}

/** Reused by every readWholeAt: the fstats before and after the read, and the attribute list's length. */
let wholeRow: BigInt64Array | undefined;

/**
 * SourceDir.readWhole with the native calls: the regular file `name` of the open folder `dirfd`
 * opened from the folder's descriptor, read into `buffer` and closed, in one call (a first backup
 * of many small files made five per file). Null when it is not the entry `expected` describes,
 * is no regular file, does not fit (the buffer filled), or a call failed: openFile then says why.
 * With `xattrs`, whether the file has extended attributes is asked of the open file too.
 */
export function readWholeAt(native: NativeFs, dirfd: number, name: string, expected: EntryStat, buffer: Uint8Array, xattrs: boolean): WholeRead | null {
  const fields = native.STAT_FIELDS;
  const row = (wholeRow ??= new BigInt64Array(2 * fields + 1));
  const length = native.readWholeAt(dirfd, fsPath(name), buffer, row, xattrs);
  if (length < 0 || length >= buffer.length) return null;
  // A regular file (readWholeAt answers NOT_REGULAR for the rest): entryStatOfRow cannot throw.
  const stat = entryStatOfRow(row, 0, fields, name);
  if (stat.dev !== expected.dev || stat.ino !== expected.ino) return null;
  return {
    stat,
    length,
    after: { size: Number(row[fields + 3]!), mtimeNs: row[fields + 4]! },
    noXattrs: xattrs && row[2 * fields] === 0n,
  };
}

/**
 * The entry `name` of the open folder `dirfd` opened with the native openAt (a folder when
 * `folder`), and its fstat as an EntryStat. An open that fails is given to `failed`, which
 * throws; an fstat of a kind cairn does not know closes the descriptor and throws naming `path`.
 */
export function openEntryAt(native: NativeFs, dirfd: number, name: string, path: string, folder: boolean, failed: (error: NodeJS.ErrnoException) => never): { fd: number; opened: EntryStat } {
  const row = rowFor(native);
  const fd = native.openAt(dirfd, fsPath(name), folder, row);
  if (fd < 0) failed(systemError(fd, 'open', path));
  try {
    return { fd, opened: entryStatOfRow(row, 0, native.STAT_FIELDS, path) };
  } catch (error) {
    closeSync(fd);
    throw fromSystemError(error, path);
  }
}

/** The opened `fd` as a SourceFile when it is a regular file and (given `expected`) that entry; else closed, and an error naming `path`. */
function checkedFile(fd: number, path: string, opened: EntryStat, expected: EntryStat | undefined): SourceFile {
  try {
    if (opened.type !== 'file') throw notRegular(path, opened.type);
    if (expected !== undefined && (opened.dev !== expected.dev || opened.ino !== expected.ino)) throw replacedEntry(path, 'file');
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return wrapDescriptor(fd, path, opened);
}

/** An open's error code that may mean the entry is no regular file: O_NOFOLLOW on a symlink gives ELOOP, a socket ENXIO. */
function isSpecialOpenError(code: string | undefined): boolean {
  return code === 'ELOOP' || code === 'ENXIO' || code === 'ENODEV';
}

/** One row of the native calls' values, reused by every call that reads it at once (fstatEntry, the opens). */
let fstatRow: BigInt64Array | undefined;

function rowFor(native: NativeFs): BigInt64Array {
  fstatRow ??= new BigInt64Array(native.STAT_FIELDS);
  return fstatRow;
}

/**
 * The fstat of the open `fd` as an EntryStat (ERR_UNSUPPORTED naming `path` for a kind of entry
 * cairn does not know): with the native calls when they are loaded (no Stats object of eighteen
 * BigInts per call: a first backup made two per file), else node:fs's bigint fstat.
 */
export function fstatEntry(fd: number, path: string): EntryStat {
  const native = nativeFs();
  if (native === null) return toEntryStat(fstatSync(fd, { bigint: true }), path);
  const row = rowFor(native);
  const errno = native.fstatInto(fd, row);
  if (errno !== 0) throw systemError(errno, 'fstat', path);
  return entryStatOfRow(row, 0, native.STAT_FIELDS, path);
}

function notRegular(path: string, type: string, cause?: unknown): CairnError {
  return new CairnError('ERR_UNSUPPORTED', `${path} is a ${type}, not a regular file`, { cause });
}

/** ERR_NOT_FOUND: the entry a backup decided on was swapped for another one before it was opened. */
export function replacedEntry(path: string, what: 'file' | 'folder' | 'symlink'): CairnError {
  return new CairnError('ERR_NOT_FOUND', `${path}: the ${what} was replaced while it was read (renamed, or swapped for another entry); it is left out`, {
    hint: 'something changed the source during the backup; run the backup again when it is quiet',
  });
}

/** Throws "not a regular file" when `typeOf` (the entry's lstat) says it is another kind of entry; nothing when it cannot say. */
function refuseIfSpecial(path: string, typeOf: () => string | undefined, cause: unknown): void {
  let type: string | undefined;
  try {
    type = typeOf();
  } catch {
    return;
  }
  if (type !== undefined && type !== 'file') throw notRegular(path, type, cause);
}

/** `opened` is the fstat made at open: the first stat() returns it instead of asking again. */
function wrapDescriptor(fd: number, path: string, opened: EntryStat): SourceFile {
  let first: EntryStat | null = opened;
  return {
    async stat() {
      if (first !== null) {
        const stat = first;
        first = null;
        return stat;
      }
      try {
        return fstatEntry(fd, path);
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    async *chunks(bufferSize, signal) {
      if (!Number.isSafeInteger(bufferSize) || bufferSize <= 0) {
        throw new RangeError(`bufferSize must be a positive integer, got ${String(bufferSize)}`);
      }
      let position = 0;
      for (;;) {
        if (signal?.aborted === true) {
          throw new CairnError('ERR_ABORTED', `reading ${path} was aborted`, { cause: signal.reason });
        }
        // Not zero-filled: read() overwrites what is yielded, and the rest is cut off.
        const buffer = Buffer.allocUnsafe(bufferSize);
        let bytesRead: number;
        try {
          bytesRead = readSync(fd, buffer, 0, bufferSize, position);
        } catch (error) {
          throw fromSystemError(error, path);
        }
        if (bytesRead === 0) return;
        position += bytesRead;
        yield bytesRead === bufferSize ? buffer : buffer.subarray(0, bytesRead);
      }
    },
    async readInto(buffer, position) {
      try {
        return readSync(fd, buffer, 0, buffer.length, position);
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    close: closeOnce(fd, path),
  };
}
