import { closeSync, constants, existsSync, lstatSync, openSync, readlinkSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { posix } from 'node:path';
import { fromSystemError, nameFromBytes } from '@cairn/core';
import type { DirEntry, EntryStat, NodeType, SourceDir, Xattr } from '@cairn/core';
import { entryStatOfRow, nodeTypeOf, toEntryStat } from './entry-stat.js';
import { closeOnce, errnoOf } from './file-io.js';
import { fsPath } from './fs-path.js';
import { joinName } from './join-name.js';
import { listFolder } from './list-names.js';
import { fstatEntry, openEntryAt, openLocalFile, openLocalFileAt, readWholeAt, replacedEntry } from './local-source-file.js';
import { nativeFs, systemError } from './native-fs.js';
import type { NativeFs } from './native-fs.js';
import { procFdPath } from './proc-fd.js';
import { createReadAheadGate } from './read-ahead.js';
import type { ReadAheadGate } from './read-ahead.js';

/** How a local folder's entries are reached: through its open descriptor (/proc/self/fd), or by path. */
export type LocalDirMode = 'descriptor' | 'path';

/** 'descriptor' where the kernel offers /proc/self/fd (Linux), 'path' elsewhere. */
export const defaultLocalDirMode: LocalDirMode = process.platform === 'linux' && existsSync('/proc/self/fd') ? 'descriptor' : 'path';

const dirFlags = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);

/**
 * Opens the local folder at `path` as a SourceDir, refusing (ERR_NOT_FOUND) anything that is not
 * the folder `expected` describes (same device and inode): a symlink put in its place is never followed.
 *
 * In 'descriptor' mode the folder is opened with O_DIRECTORY | O_NOFOLLOW and its entries are
 * reached from the open folder: with `native` (native-fs.ts: fstatat and listxattrat from the
 * folder's descriptor), else as /proc/self/fd/<fd>/<name> (spelt /proc/<pid>/fd/<fd>/<name>, see
 * procFdPath), which the kernel resolves from the open folder as openat would, at twice the cost
 * of a lookup by path: renaming or swapping any folder above it cannot redirect them. In 'path' mode
 * (no /proc) entries are reached by path, and the folder's identity is checked when it is opened
 * and again after its listing and after each entry's lstat or readlink (this narrows the window
 * to a swap and a swap back between two calls, but cannot close it); files are opened with
 * O_NOFOLLOW and checked against their lstat in both modes.
 * The calls are synchronous (see createLocalSource). In 'descriptor' mode `entries()` lists the
 * folder with every entry's lstat in one call (see statEntries), through the open folder. With
 * `native`, files and folders are opened from the folder's descriptor (openat), so an open
 * reaches the entry the listing saw, or fails. Without it they are opened by path first, checked
 * against the device and inode of that lstat, and through /proc/self/fd when that fails (a path
 * from "/" costs the kernel less than one through /proc: a twentieth of a first backup). A
 * swapped path can then make an open reach another folder's entry of the same name before the
 * check refuses it: a fifo is never blocked on (O_NONBLOCK), and a device would be opened and
 * closed, as a backup by path (restic, borg) always risks.
 */
export function openLocalDir(path: string, expected: EntryStat, mode: LocalDirMode = defaultLocalDirMode, xattrs?: XattrReader, native: NativeFs | null = nativeFs()): SourceDir {
  return mode === 'descriptor' ? openByDescriptor(path, path, expected, xattrs, native) : openByPath(path, expected, xattrs);
}

/**
 * Reads the extended attributes of the entry reached at `at` (named `path` in messages, default
 * `at`), or, given `from`, of the same entry as `from.name` of the open folder `from.dirfd` with
 * the native calls the folder uses.
 */
export type XattrReader = (at: string, path?: string, from?: { readonly native: NativeFs; readonly dirfd: number; readonly name: string }) => Promise<readonly Xattr[]>;

function openByDescriptor(path: string, at: string, expected: EntryStat, xattrs: XattrReader | undefined, native: NativeFs | null, gate: ReadAheadGate = createReadAheadGate()): SourceDir {
  let fd: number;
  try {
    fd = openSync(fsPath(at), dirFlags);
  } catch (error) {
    throw folderOpenError(path, errnoOf(error), error);
  }
  let opened: EntryStat;
  try {
    opened = fstatEntry(fd, path);
  } catch (error) {
    closeSync(fd);
    throw fromSystemError(error, path);
  }
  return openedFolder(path, fd, opened, expected, xattrs, native, gate);
}

/**
 * openByDescriptor of the entry `name` of the open folder `dirfd`, with the native calls: one
 * openat from the folder's descriptor and the fstat of what it opened, in one call.
 */
function openFolderAt(native: NativeFs, dirfd: number, name: string, path: string, expected: EntryStat, xattrs: XattrReader | undefined, gate: ReadAheadGate): SourceDir {
  const { fd, opened } = openEntryAt(native, dirfd, name, path, true, (error) => {
    throw folderOpenError(path, error.code, error);
  });
  return openedFolder(path, fd, opened, expected, xattrs, native, gate);
}

/** What a folder's failed open means: O_NOFOLLOW on a symlink gives ELOOP, O_DIRECTORY on anything else ENOTDIR (something was put in its place). */
function folderOpenError(path: string, code: string | undefined, error: unknown): Error {
  return code === 'ELOOP' || code === 'ENOTDIR' ? replacedEntry(path, 'folder') : fromSystemError(error, path);
}

/**
 * The SourceDir of the folder open as `fd` (its fstat `opened`), when it is the folder `expected`
 * describes; else `fd` is closed and ERR_NOT_FOUND thrown. The folders of one walk share `gate`
 * (read-ahead.ts).
 */
function openedFolder(path: string, fd: number, opened: EntryStat, expected: EntryStat, xattrs: XattrReader | undefined, native: NativeFs | null, gate: ReadAheadGate): SourceDir {
  try {
    checkFolder(path, opened, expected);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const self = procFdPath(fd);
  const child = (name: string): { path: string; at: string } => ({ path: joinName(path, entryName(name)), at: `${self}/${name}` });
  // Without the native calls a file or folder is opened by its path first (the kernel resolves a
  // path from "/" faster than one through /proc): the open checks the device and inode its lstat
  // (taken through `self`) gave, so a path that leads elsewhere now fails, and the open goes
  // through `self`. With them, it is opened from `fd` itself (openat), which nothing can redirect.
  const viaPath = <T>(name: string, open: (path: string, at: string) => T): T => {
    const entry = child(name);
    try {
      return open(entry.path, entry.path);
    } catch {
      return open(entry.path, entry.at);
    }
  };
  return {
    path,
    names: async () => listNames(path, self),
    entries: async () => (native === null ? statEntries(path, self, listNames(path, self)) : scanEntries(native, path, fd)),
    async lstat(name) {
      const entry = child(name);
      if (native === null) return lstatEntry(entry.path, entry.at);
      const [stated] = statEntriesAt(native, path, fd, [entryName(name)]);
      if (stated?.stat === undefined) throw stated?.error ?? new Error(`no lstat of ${entry.path}`);
      return stated.stat;
    },
    async readlink(name) {
      const entry = child(name);
      return readlinkEntry(entry.path, entry.at);
    },
    openFile: async (name, expectedFile) => (native === null
      ? viaPath(name, (entryPath, at) => openLocalFile(entryPath, at, expectedFile))
      : openLocalFileAt(native, fd, entryName(name), joinName(path, name), expectedFile)),
    openDir: async (name, expectedDir) => (native === null
      ? viaPath(name, (entryPath, at) => openByDescriptor(entryPath, at, expectedDir, xattrs, native, gate))
      : openFolderAt(native, fd, entryName(name), joinName(path, name), expectedDir, xattrs, gate)),
    ...(native === null ? {} : {
      // A short file read whole from the folder's descriptor, in one call (whether it has attributes asked of it when they are read).
      readWhole: (name: string, expectedFile: EntryStat, buffer: Uint8Array) => readWholeAt(native, fd, entryName(name), expectedFile, buffer, xattrs !== undefined),
      // Read ahead from the folder's descriptor, in a thread of Node's pool, when the walk meets files not in memory.
      prefetch: (names: readonly string[]) => {
        const paths = names.map((name) => fsPath(entryName(name)));
        if (gate.wanted()) native.prefetchAt(fd, paths, gate.found);
      },
    }),
    ...(xattrs === undefined ? {} : {
      // Through the open folder only: a read of attributes cannot check which entry it reached.
      xattrs: async (name: string) => {
        const entry = child(name);
        return xattrs(entry.at, entry.path, native === null ? undefined : { native, dirfd: fd, name });
      },
    }),
    close: closeOnce(fd, path),
  };
}

function openByPath(path: string, expected: EntryStat, xattrs: XattrReader | undefined): SourceDir {
  const verify = (): void => {
    let stats: BigIntStats;
    try {
      stats = lstatSync(fsPath(path), { bigint: true });
    } catch (error) {
      throw fromSystemError(error, path);
    }
    checkFolder(path, { type: nodeTypeOf(stats), dev: stats.dev, ino: stats.ino }, expected);
  };
  verify();
  const child = (name: string): string => posix.join(path, entryName(name));
  return {
    path,
    async names() {
      const names = listNames(path, path);
      verify(); // a folder swapped in while the listing was read would have given its names
      return names;
    },
    // Checked again after each entry's lstat and readlink: they must have come from this folder.
    async lstat(name) {
      const stat = lstatEntry(child(name), child(name));
      verify();
      return stat;
    },
    async readlink(name) {
      const target = readlinkEntry(child(name), child(name));
      verify();
      return target;
    },
    openFile: async (name, expectedFile) => openLocalFile(child(name), child(name), expectedFile),
    openDir: async (name, expectedDir) => openByPath(child(name), expectedDir, xattrs),
    ...(xattrs === undefined ? {} : { xattrs: async (name: string) => xattrs(child(name), child(name)) }),
    close: async () => undefined,
  };
}

/** Throws ERR_NOT_FOUND ("replaced") unless `stats` is the folder `expected` describes. */
function checkFolder(path: string, stats: { readonly type: NodeType | undefined; readonly dev: bigint; readonly ino: bigint }, expected: EntryStat): void {
  if (stats.type !== 'dir' || expected.type !== 'dir' || stats.dev !== expected.dev || stats.ino !== expected.ino) {
    throw replacedEntry(path, 'folder');
  }
}

/** An entry name as a folder lists it; anything that could climb or descend is a caller's bug. */
function entryName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new TypeError(`not an entry name: ${JSON.stringify(name)}`);
  }
  return name;
}

function listNames(path: string, at: string): string[] {
  try {
    return listFolder(at);
  } catch (error) {
    throw fromSystemError(error, path);
  }
}

/**
 * The lstat of each of `names` in the open folder `self` (/proc/self/fd/<fd>), or the CairnError
 * it gave, with synchronous calls: the same entries /proc/self/fd/<fd>/<name> reaches whatever
 * happened to the folder's path. By the folder's path they would cost the kernel less, but no
 * check of the path before and after can tell that a folder swapped back and forth in between
 * gave another folder's entries (the swap test of the engine does exactly that), and every later
 * check of the entry is made against this lstat. (Stepping into the folder with chdir would save
 * the path too, but the current folder is the whole process's: an embedding program's relative
 * paths, in other threads, would go astray meanwhile.)
 */
function statEntries(path: string, self: string, names: readonly string[]): DirEntry[] {
  const prefix = path.endsWith('/') ? path : `${path}/`; // a listed name: plain, no posix.join needed
  return names.map((name): DirEntry => {
    const entryPath = `${prefix}${name}`;
    try {
      return { name, stat: toEntryStat(lstatSync(fsPath(`${self}/${name}`), { bigint: true }), entryPath) };
    } catch (error) {
      return { name, error: fromSystemError(error, entryPath) };
    }
  });
}

/** Reused by statEntriesAt: STAT_FIELDS values per entry of the largest folder so far. */
let statRows = new BigInt64Array(0);

/**
 * statEntries with the native calls: each name's fstatat from the open folder's descriptor `fd`
 * itself (what /proc/self/fd/<fd>/<name> reaches, at half the kernel's cost), all in one call.
 */
function statEntriesAt(native: NativeFs, path: string, fd: number, names: readonly string[]): DirEntry[] {
  const fields = native.STAT_FIELDS;
  if (statRows.length < names.length * fields) statRows = new BigInt64Array(names.length * fields);
  let errnos: Int32Array;
  try {
    errnos = native.lstatAt(fd, names.map(fsPath), statRows);
  } catch (error) {
    throw fromSystemError(error, path);
  }
  return entriesOfRows(path, names, errnos, statRows, fields);
}

/**
 * entries() with the native calls: the folder listed from its descriptor with each entry's
 * fstatat, in one call; names and order as listFolder gives them (sorted by their bytes there).
 */
function scanEntries(native: NativeFs, path: string, fd: number): DirEntry[] {
  const scan = native.scanAt(fd);
  if (typeof scan === 'number') throw fromSystemError(systemError(scan, 'scandir', path), path);
  const { errnos, rows } = scan;
  const names: string[] = [];
  for (const name of scan.names) names.push(typeof name === 'string' ? name : nameFromBytes(name));
  return entriesOfRows(path, names, errnos, rows, native.STAT_FIELDS);
}

/** The entries `names`, with the native calls' results: each its EntryStat from `rows`, or the error of its errno. */
function entriesOfRows(path: string, names: readonly string[], errnos: Int32Array, rows: BigInt64Array, fields: number): DirEntry[] {
  // An entry's path is made only for an error that names it.
  const entryPath = (name: string): string => (path.endsWith('/') ? `${path}${name}` : `${path}/${name}`);
  // Pushed, not mapped: Array.prototype.map gives packed or holey arrays depending on whether V8
  // has optimized its caller yet, and each new kind the walk meets makes it recompile saveOpenDir.
  const entries: DirEntry[] = [];
  for (let i = 0; i < names.length; i += 1) {
    const name = names[i]!;
    const errno = errnos[i]!;
    try {
      if (errno !== 0) throw systemError(errno, 'lstat', entryPath(name));
      entries.push({ name, stat: entryStatOfRow(rows, i, fields, () => entryPath(name)) });
    } catch (error) {
      entries.push({ name, error: fromSystemError(error, entryPath(name)) });
    }
  }
  return entries;
}

function lstatEntry(path: string, at: string): EntryStat {
  try {
    return toEntryStat(lstatSync(fsPath(at), { bigint: true }), path);
  } catch (error) {
    throw fromSystemError(error, path);
  }
}

function readlinkEntry(path: string, at: string): string {
  try {
    return nameFromBytes(readlinkSync(fsPath(at), { encoding: 'buffer' }));
  } catch (error) {
    // EINVAL: what the walk saw as a symlink is something else now.
    if (errnoOf(error) === 'EINVAL') throw replacedEntry(path, 'symlink');
    throw fromSystemError(error, path);
  }
}
