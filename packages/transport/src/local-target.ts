import { linkSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { lstat, mkdir, open, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { assertMetadata, assertTargetPath, CairnError, fromSystemError } from '@cairn/core';
import type { EntryMetadata, Target, TargetFile, WholeFile } from '@cairn/core';
import { nodeTypeOf, toEntryStat } from './entry-stat.js';
import { errnoOf } from './file-io.js';
import { createFolderGuard } from './folder-guard.js';
import { fsPath } from './fs-path.js';
import { nativeFs, SYMLINK_STEPS, systemError, writeFailure } from './native-fs.js';
import { applyMetadata, isRoot, setSymlinkMetadata, utimeArgument } from './set-metadata.js';
import { writeSparse } from './sparse-write.js';
import { partialNameFor, tempNameFor } from './temp-name.js';
import { assertWholeFile, endsWriting, wholeFileError, writeWholeFileSync } from './whole-files.js';
import { writeXattrs, xattrModule, xattrsSupported } from './xattrs.js';
import { createWholeFileThread, defaultThreadFrom } from './whole-file-thread.js';
import type { ThreadJob, WholeFileThread } from './whole-file-thread.js';

const { EEXIST } = constants.errno;

/** How a local target works. */
export interface LocalTargetOptions {
  /**
   * Files writeFiles writes on the calling thread before it hands the rest to a worker thread of
   * its own (0: all on the thread; Infinity: none). Default: 256 on a machine with more than one
   * CPU, else none.
   */
  readonly wholeFileThreadFrom?: number;
}

/**
 * A Target writing a restore below the local folder `root` (created when first used).
 * A new symlink, or a new file of writeFiles, is made in place where nothing is (symlink(),
 * O_EXCL); a file written by position, and anything that replaces an entry, is made under a
 * temporary name and renamed over it, so an existing symlink is replaced, never written
 * through; a folder above a path is used only when it is a real folder. It has createFile (positional writes) and writeFiles (whole small files), as
 * non-enumerable properties: a wrapper built by spreading it (`{ ...target, writeFile }`)
 * does not inherit them, so such a wrapper still sees every file through its own writeFile.
 */
export function createLocalTarget(root: string, options: LocalTargetOptions = {}): Target {
  if (typeof root !== 'string' || root === '') {
    throw new TypeError(`target root must be a non-empty string, got ${JSON.stringify(root)}`);
  }
  const base = resolve(root);
  const guard = createFolderGuard(base);
  const full = (path: readonly string[]): string => join(base, ...path);
  let ready: Promise<void> | undefined;
  let rootMade = false;
  const threadFrom = options.wholeFileThreadFrom ?? defaultThreadFrom();
  let thread: WholeFileThread | undefined;
  /** Files handed to writeFiles so far. */
  let written = 0;

  /** Creates the root folder; it may be a symlink to a folder (the user chose it), but it must be a folder. */
  const makeRoot = async (): Promise<void> => {
    try {
      await mkdir(fsPath(base), { recursive: true });
      if (!(await stat(fsPath(base))).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'EEXIST' });
      rootMade = true;
    } catch (error) {
      ready = undefined;
      const code = errnoOf(error);
      throw code === 'EEXIST' || code === 'ENOTDIR'
        ? new CairnError('ERR_EXISTS', `cannot restore into ${base}: it exists and is not a folder`, { cause: error })
        : fromSystemError(error, base);
    }
  };

  /** Checks `path`, creates the root once, and checks the folders above `path`. */
  const prepare = async (path: readonly string[]): Promise<string> => {
    assertTargetPath(path);
    ready ??= makeRoot();
    await ready;
    await guard.requireParents(path);
    return full(path);
  };

  /** Makes an entry at a temporary name next to `final` with `make` (given the temporary path for node:fs), then renames it over `final`. */
  const replaceWith = async (path: readonly string[], make: (temp: string | Buffer) => Promise<void> | void, hardlink = false): Promise<void> => {
    const final = await prepare(path);
    const temp = fsPath(full([...path.slice(0, -1), tempNameFor(path[path.length - 1] ?? '')]));
    try {
      await make(temp);
      renameSync(temp, fsPath(final));
      // rename() does nothing when both names are already links of one file: drop the temporary name.
      if (hardlink) rmSync(temp, { force: true });
    } catch (error) {
      try {
        rmSync(temp, { force: true });
      } catch {
        // nothing more to remove
      }
      // OS errors are translated; the caller's own errors (from `data`, bad pieces) pass unchanged.
      throw errnoOf(error) === undefined ? error : fromSystemError(error, final);
    }
  };

  /** Opens a new temporary file next to `path` for positional writes; see TargetFile. */
  const createFile = async (path: readonly string[], size: number): Promise<TargetFile> => {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`file size must be a non-negative integer, got ${String(size)}`);
    const final = await prepare(path);
    const temp = full([...path.slice(0, -1), partialNameFor(path[path.length - 1] ?? '')]);
    let handle: FileHandle;
    try {
      handle = await openPartial(temp);
    } catch (error) {
      throw fromSystemError(error, final);
    }
    return localTargetFile(handle, temp, final, size);
  };

  /**
   * Writes whole files, one after the other; see Target.writeFiles. The first `threadFrom` are
   * written here with synchronous calls; after them, on the whole-file thread.
   */
  const writeFiles = async (files: readonly WholeFile[]): Promise<unknown[]> => {
    const results: unknown[] = [];
    const onThread = written >= threadFrom;
    written += files.length;
    /** Per file sent to the thread: its index in `files`. */
    const sent: number[] = [];
    const jobs: ThreadJob[] = [];
    for (let i = 0; i < files.length; i += 1) {
      const file = files[i]!;
      assertTargetPath(file.path);
      assertWholeFile(file);
      const final = full(file.path);
      try {
        // The folders above were made or checked by this restore: no await for them.
        if (!rootMade || !guard.knowsParents(file.path)) await prepare(file.path);
        if (onThread) {
          sent.push(i);
          jobs.push({ final, file });
          results.push(undefined);
          continue;
        }
        writeWholeFileSync(final, file);
        results.push(undefined);
      } catch (error) {
        const failure = wholeFileError(error, final);
        results.push(failure);
        // A full target: the files before this one that wait for the thread are still written.
        if (endsWriting(failure)) break;
      }
    }
    if (jobs.length === 0) return results;
    thread ??= createWholeFileThread();
    const done = await thread.write(jobs);
    for (let j = 0; j < sent.length; j += 1) {
      const i = sent[j]!;
      // The thread stopped at a full target: neither this file nor any after it has a result.
      if (j >= done.length) return results.slice(0, i);
      const error = done[j];
      if (error === undefined) continue;
      const failure = wholeFileError(error, jobs[j]!.final);
      results[i] = failure;
      if (endsWriting(failure)) return results.slice(0, i + 1);
    }
    return results;
  };

  const target: Target = {
    location: base,

    async lstat(path) {
      assertTargetPath(path);
      if ((await guard.parents(path)).state !== 'ok') return null;
      try {
        return toEntryStat(lstatSync(fsPath(full(path)), { bigint: true }), full(path));
      } catch (error) {
        if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return null;
        throw fromSystemError(error, full(path));
      }
    },

    async mkdir(path) {
      if (Array.isArray(path) && path.length === 0) {
        ready ??= makeRoot(); // the root itself
        return ready;
      }
      const dir = await prepare(path);
      try {
        mkdirSync(fsPath(dir));
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw fromSystemError(error, dir);
        let type: string | undefined;
        try {
          type = nodeTypeOf(lstatSync(fsPath(dir), { bigint: true }));
        } catch (e) {
          throw fromSystemError(e, dir);
        }
        if (type !== 'dir') {
          throw new CairnError('ERR_EXISTS', `${dir} exists and is a ${type ?? 'unknown entry'}, not a folder`, { cause: error });
        }
      }
      guard.add(path);
    },

    async writeFile(path, data) {
      await replaceWith(path, async (temp) => {
        let handle: FileHandle | undefined = await open(temp, 'wx', 0o600);
        try {
          // Blocks of zeros are not written (they stay holes); the size is set at the end.
          let size = 0;
          let reached = 0;
          for await (const piece of data) {
            if (!(piece instanceof Uint8Array)) throw new TypeError(`file data must be Uint8Arrays, got ${typeof piece}`);
            reached = Math.max(reached, await writeSparse(handle, piece, size));
            size += piece.byteLength;
          }
          if (reached !== size) await handle.truncate(size);
          // No fsync per file: like restic and borg, a restore relies on the rename for
          // atomicity, not durability (one fsync per file made restores 5x slower).
          await handle.close();
          handle = undefined;
        } finally {
          await handle?.close().catch(() => undefined);
        }
      });
    },

    async symlink(path, linkTarget, metadata) {
      if (typeof linkTarget !== 'string' || linkTarget === '' || linkTarget.includes('\0')) {
        throw new TypeError(`a symlink target must be a non-empty string without NUL, got ${JSON.stringify(linkTarget)}`);
      }
      if (metadata !== undefined) assertMetadata(metadata);
      // From its bytes: a target that is not valid UTF-8 holds them as U+DC80–U+DCFF. Made in
      // place when nothing is there (symlink() never follows or replaces an entry), else under a
      // temporary name renamed over what is there. Its metadata is set on what was just made:
      // no lstat to check that it is a symlink.
      const final = await prepare(path);
      const native = metadata === undefined ? null : nativeFs();
      if (native !== null && metadata !== undefined) {
        const result = native.symlinkWith(fsPath(linkTarget), fsPath(final), metadata.uid, metadata.gid, metadata.mtimeNs, isRoot);
        if (result === 0) return;
        const { errno, syscall } = writeFailure(result, SYMLINK_STEPS);
        if (syscall !== 'symlink' || errno !== EEXIST) throw fromSystemError(systemError(errno, syscall, final), final);
      } else {
        let made = false;
        try {
          symlinkSync(fsPath(linkTarget), fsPath(final));
          made = true;
        } catch (error) {
          if (errnoOf(error) !== 'EEXIST') throw fromSystemError(error, final);
        }
        if (made) {
          if (metadata !== undefined) setSymlinkMetadata(final, metadata);
          return;
        }
      }
      await replaceWith(path, (temp) => symlinkSync(fsPath(linkTarget), temp));
      if (metadata !== undefined) setSymlinkMetadata(final, metadata);
    },

    async link(existing, path) {
      const source = await prepare(existing);
      await replaceWith(path, (temp) => linkSync(fsPath(source), temp), true);
    },

    async remove(path) {
      assertTargetPath(path);
      if ((await guard.parents(path)).state !== 'ok') return;
      const at = full(path);
      try {
        const stats = await lstat(fsPath(at));
        if (stats.isDirectory()) await rmdir(fsPath(at));
        else await rm(fsPath(at), { force: true });
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT') return;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new CairnError('ERR_EXISTS', `${at} is a folder that is not empty: cairn does not remove it`, { cause: error });
        throw fromSystemError(error, at);
      } finally {
        guard.forget(path);
      }
    },

    async setMetadata(path, type, meta) {
      assertMetadata(meta);
      await applyMetadata(await prepare(path), type, meta);
    },

    async setXattrs(path, xattrs) {
      const file = await prepare(path);
      if (xattrs.length === 0) return;
      const lib = xattrsSupported ? xattrModule() : new CairnError('ERR_UNSUPPORTED', 'this operating system has no extended attributes');
      if (lib instanceof CairnError) throw new CairnError(lib.code, `${file}: extended attributes not set: ${lib.message}`, { cause: lib });
      writeXattrs(lib, file, xattrs);
    },
  };
  Object.defineProperty(target, 'createFile', { value: createFile, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(target, 'writeFiles', { value: writeFiles, enumerable: false, writable: true, configurable: true });
  return target;
}

/**
 * Opens a new file at `temp` (a partial name): what a killed restore left there is removed first
 * (unlinked, so a link planted there is only unlinked, never written through).
 */
async function openPartial(temp: string): Promise<FileHandle> {
  try {
    return await open(fsPath(temp), 'wx', 0o600);
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw error;
  }
  await unlink(fsPath(temp));
  return open(fsPath(temp), 'wx', 0o600);
}

/**
 * The TargetFile of an open temporary file `temp`, committed by renaming it over `final`. The
 * file gets its `size` at commit (an ftruncate, only when the writes did not reach it): an
 * ftruncate up front would not preallocate on Linux filesystems, and it cost a system call
 * for every small file of a restore. Blocks of zeros are not written, so they stay holes and a
 * sparse file comes back sparse.
 */
function localTargetFile(handle: FileHandle, temp: string, final: string, size: number): TargetFile {
  let state: 'open' | 'committed' | 'aborted' = 'open';
  let end = 0;
  const requireOpen = (what: string): void => {
    if (state !== 'open') throw new CairnError('ERR_IO', `cannot ${what} ${final}: its temporary file was already ${state}`);
  };
  return {
    async write(data, position) {
      requireOpen('write to');
      if (!(data instanceof Uint8Array)) throw new TypeError(`file data must be a Uint8Array, got ${typeof data}`);
      if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`write position must be a non-negative integer, got ${String(position)}`);
      try {
        end = Math.max(end, await writeSparse(handle, data, position));
      } catch (error) {
        throw fromSystemError(error, final);
      }
    },
    async commit(metadata) {
      requireOpen('commit');
      state = 'committed';
      try {
        if (metadata !== undefined) assertMetadata(metadata);
        if (end !== size) await handle.truncate(size);
        if (metadata !== undefined) await applyHandleMetadata(handle, metadata);
        await handle.close();
        await rename(fsPath(temp), fsPath(final));
      } catch (error) {
        await handle.close().catch(() => undefined);
        await rm(fsPath(temp), { force: true }).catch(() => undefined);
        throw errnoOf(error) === undefined ? error : fromSystemError(error, final);
      }
    },
    async abort() {
      if (state !== 'open') return;
      state = 'aborted';
      await handle.close().catch(() => undefined);
      try {
        await rm(fsPath(temp), { force: true });
      } catch (error) {
        throw fromSystemError(error, temp);
      }
    },
  };
}


/** applyMetadata for an open regular file: owner (only as root; EPERM/EINVAL ignored), mode, then mtime. */
async function applyHandleMetadata(handle: FileHandle, meta: EntryMetadata): Promise<void> {
  if (isRoot) {
    await handle.chown(meta.uid, meta.gid).catch((error: unknown) => {
      if (errnoOf(error) !== 'EPERM' && errnoOf(error) !== 'EINVAL') throw error;
    });
  }
  await handle.chmod(meta.mode);
  await handle.utimes(Date.now() / 1000, utimeArgument(meta.mtimeNs));
}
