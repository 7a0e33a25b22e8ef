import { mkdir, open, readdir, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { readSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { CairnError, fromSystemError } from '@cairn/core';
import type { Backend, ByteRange, FileHint, FileInfo, FileWriter, StorageSpace } from '@cairn/core';
import { assertRange, truncatedError } from './byte-range.js';
import { toPieces } from './bytes.js';
import { TEMP_PREFIX, linkInPlace, tempFileName, tempWriterGone, writeExclusive } from './exclusive-write.js';
import { assertFileName, assertFileType, isFileName } from './file-names.js';
import { errnoOf, readFully, syncDir, writeAll } from './file-io.js';
import { filePath, isPrefixFolder, typeFolder, typeFolderNames } from './local-layout.js';

/** A temporary file older than this is removed by removeStaleTemporaries whoever wrote it. */
export const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/** How many of data's prefix folders removeStaleTemporaries reads at a time. */
const SWEEP_AT_ONCE = 16;

/**
 * The bytes a pack write leaves free on the repository's filesystem: 1% of it, at least 256 KiB
 * and at most 64 MiB. Packs never take the last of the space, so that after a backup stopped on a
 * full disk the small files that free it again (a lock, an index, a snapshot) can still be written
 * and `forget`/`prune` work.
 */
export function packReserve(totalBytes: number): number {
  return Math.min(64 * 1024 * 1024, Math.max(256 * 1024, Math.floor(totalBytes / 100)));
}

/**
 * A repository in a local folder: `config`, `data/<2 hex>/<name>` (a prefix folder made by the
 * first pack written in it), `index/`, `snapshots/`, `keys/`, `locks/`. Writes are exclusive and atomic (synced temporary file
 * `.tmp-<host>-<pid>-<random>`, hard link); only `replaceConfig` renames over a file.
 */
export function createLocalBackend(path: string): Backend {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`repository path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  const root = resolve(path);
  /** Bytes of the pack files this backend is writing now (the free-space reserve counts them). */
  let packBytesInFlight = 0;
  const translate = (error: unknown, file: string): CairnError => {
    const translated = fromSystemError(error, file);
    if (translated.code !== 'ERR_NO_SPACE' || translated === error) return translated;
    return new CairnError('ERR_NO_SPACE', `no space left for repository ${root} (writing ${file})`, {
      hint: 'free some space on the device holding the repository, or use another one',
      cause: error,
    });
  };

  return {
    location: root,

    async create() {
      const existing = await stat(root).catch((error: unknown) => {
        if (errnoOf(error) === 'ENOENT') return undefined;
        throw translate(error, root);
      });
      if (existing !== undefined && !existing.isDirectory()) {
        throw new CairnError('ERR_EXISTS', `${root} exists and is not a folder`, { hint: 'choose another repository location' });
      }
      await makeFolder(root);
      for (const folder of typeFolderNames) await makeFolder(join(root, folder));
    },

    async write(type, name, data) {
      assertFileName(type, name);
      const pieces = toPieces(data);
      const file = filePath(root, type, name);
      const size = type === 'data' ? pieces.reduce((sum, piece) => sum + piece.byteLength, 0) : 0;
      // Counted before the free space is read, so packs written side by side each see the others.
      packBytesInFlight += size;
      try {
        if (type === 'data') await keepReserve(file, size);
        await writeExclusive(file, pieces, type === 'data');
      } catch (error) {
        throw translate(error, file);
      } finally {
        packBytesInFlight -= size;
      }
    },

    /**
     * A pack written as it is built: a temporary file in `data/` (the sweep of stale temporaries
     * finds it there), appended to, then synced and hard-linked as `data/<2 hex>/<name>` as
     * `write` places it. Each append keeps the reserve as a write does: a part that would take it
     * is refused (ERR_NO_SPACE) and the file dropped.
     */
    async createWriter(type): Promise<FileWriter> {
      if (type !== 'data') throw new TypeError(`createWriter writes data files, not ${String(type)}`);
      const temp = join(typeFolder(root, 'data'), tempFileName());
      let handle: FileHandle;
      try {
        await keepReserve(temp, 0, 'a new pack');
        handle = await open(temp, 'wx+', 0o644); // read too: readBack
      } catch (error) {
        throw translate(error, temp);
      }
      let written = 0;
      let ended = false;
      const drop = async (): Promise<void> => {
        if (ended) return;
        ended = true;
        await handle.close().catch(() => undefined);
        await rm(temp, { force: true }).catch(() => undefined);
      };
      const refuseEnded = (): void => {
        if (ended) throw new CairnError('ERR_IO', `${temp}: this pack file was finished or dropped`);
      };
      return {
        async append(bytes) {
          refuseEnded();
          packBytesInFlight += bytes.length;
          try {
            await keepReserve(temp, bytes.length, 'the next part of a pack');
            await writeAll(handle, [bytes]);
            written += bytes.length;
          } catch (error) {
            await drop();
            throw translate(error, temp);
          } finally {
            packBytesInFlight -= bytes.length;
          }
        },
        readBack(offset, length) {
          if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > written) {
            throw new RangeError(`bytes ${offset} to ${offset + length} of ${temp} are not written (${written} are)`);
          }
          const bytes = new Uint8Array(length);
          let done = 0;
          while (done < length) {
            const n = readSync(handle.fd, bytes, done, length - done, offset + done);
            if (n === 0) throw truncatedError(temp, { offset, length }, offset + done);
            done += n;
          }
          return bytes;
        },
        async finish(name) {
          assertFileName('data', name);
          refuseEnded();
          const file = filePath(root, 'data', name);
          try {
            await handle.sync();
            // The descriptor stays open through the link: readBack works until finish returns.
            await linkInPlace(temp, file, true);
          } catch (error) {
            await drop();
            throw translate(error, file);
          }
          ended = true;
          await handle.close().catch(() => undefined);
        },
        abort: drop,
      };
    },

    async read(type, name, range?: ByteRange, hint?: FileHint) {
      assertFileName(type, name);
      if (range !== undefined) assertRange(range);
      const file = filePath(root, type, name);
      let handle: FileHandle | undefined;
      try {
        handle = await open(file, 'r');
        const size = (await handle.stat()).size;
        const wanted = range ?? { offset: 0, length: size };
        if (wanted.offset + wanted.length > size) throw truncatedError(file, wanted, size);
        const into = hint?.into;
        const bytes = into !== undefined && into.length >= wanted.length ? into.subarray(0, wanted.length) : new Uint8Array(wanted.length);
        const got = await readFully(handle, bytes, wanted.offset);
        if (got < wanted.length) throw truncatedError(file, wanted, wanted.offset + got);
        return bytes;
      } catch (error) {
        throw translate(error, file);
      } finally {
        await handle?.close();
      }
    },

    async stat(type, name): Promise<FileInfo> {
      assertFileName(type, name);
      const file = filePath(root, type, name);
      try {
        return { name, size: (await stat(file)).size };
      } catch (error) {
        throw translate(error, file);
      }
    },

    async *list(type) {
      assertFileType(type);
      const top = typeFolder(root, type);
      const folders = type === 'data'
        ? (await entries(top)).filter((e) => e.isDirectory() && /^[0-9a-f]{2}$/.test(e.name)).map((e) => join(top, e.name))
        : [top];
      for (const folder of folders) {
        for (const entry of await entries(folder)) {
          if (!entry.isFile() || !isFileName(type, entry.name)) continue;
          if (type === 'data' && !folder.endsWith(entry.name.slice(0, 2))) continue;
          const info = await sizeOf(join(folder, entry.name));
          if (info !== undefined) yield { name: entry.name, size: info };
        }
      }
    },

    async remove(type, name) {
      assertFileName(type, name);
      const file = filePath(root, type, name);
      try {
        await unlink(file);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw translate(error, file);
      }
    },

    async replaceConfig(data) {
      if (!(data instanceof Uint8Array)) throw new TypeError('replaceConfig wants the config bytes as a Uint8Array');
      const file = filePath(root, 'config', 'config');
      const temp = join(root, tempFileName());
      let handle: FileHandle | undefined;
      try {
        handle = await open(temp, 'wx', 0o644);
        await writeAll(handle, [data]);
        await handle.sync();
        await handle.close();
        handle = undefined;
        await rename(temp, file);
        await syncDir(root);
      } catch (error) {
        await handle?.close().catch(() => undefined);
        await rm(temp, { force: true }).catch(() => undefined);
        throw translate(error, file);
      }
    },

    async space(): Promise<StorageSpace> {
      try {
        const fs = await statfs(root);
        return { total: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize };
      } catch (error) {
        throw translate(error, root);
      }
    },

    async removeStaleTemporaries() {
      const now = Date.now();
      /** The stale temporaries of one folder (relative to the root), removed. */
      const sweep = async (folder: string, listed?: readonly Dirent[]): Promise<string[]> => {
        const removed: string[] = [];
        for (const entry of listed ?? await entries(join(root, folder))) {
          if (!entry.name.startsWith(TEMP_PREFIX)) continue;
          const file = join(root, folder, entry.name);
          if (!tempWriterGone(entry.name)) {
            const mtime = await stat(file).then((s) => s.mtimeMs, () => undefined);
            if (mtime === undefined || now - mtime < STALE_TEMP_MS) continue;
          }
          try {
            await rm(file, { force: true, recursive: true });
          } catch (error) {
            throw translate(error, file);
          }
          removed.push(folder === '' ? entry.name : `${folder}/${entry.name}`);
        }
        return removed;
      };
      // The root and the type folders side by side; then data's prefix folders, those data/ holds
      // (a pack makes its own), SWEEP_AT_ONCE at a time. All 256 asked one after the other took
      // every backup's start 18 ms on tmpfs.
      const data = await entries(join(root, 'data'));
      const prefixes = data.filter((entry) => entry.isDirectory() && isPrefixFolder(entry.name)).map((entry) => join('data', entry.name));
      const found = await Promise.all(['', ...typeFolderNames].map((folder) => sweep(folder, folder === 'data' ? data : undefined)));
      for (let at = 0; at < prefixes.length; at += SWEEP_AT_ONCE) {
        found.push(...await Promise.all(prefixes.slice(at, at + SWEEP_AT_ONCE).map((folder) => sweep(folder))));
      }
      return found.flat();
    },
  };

  /**
   * Refuses a pack that would leave less than packReserve free, counting every pack this backend
   * is writing at the moment (`size` among them) as still to be written (a system error: translated by the caller).
   */
  async function keepReserve(file: string, size: number, what = 'the pack'): Promise<void> {
    const fs = await statfs(root);
    const free = fs.bavail * fs.bsize;
    const reserve = packReserve(fs.blocks * fs.bsize);
    if (free - packBytesInFlight >= reserve) return;
    throw new CairnError('ERR_NO_SPACE', `no space left for repository ${root} (writing ${file}): ${free} bytes free, ${what} takes ${size}${packBytesInFlight > size ? ` (packs being written beside it ${packBytesInFlight - size} more)` : ''} and ${reserve} stay free for locks, indexes and prune`, {
      hint: 'free some space on the device holding the repository (cairn forget/prune work), or use another one',
    });
  }

  async function makeFolder(folder: string): Promise<void> {
    try {
      await mkdir(folder, { recursive: true });
    } catch (error) {
      if (errnoOf(error) === 'EEXIST' || errnoOf(error) === 'ENOTDIR') {
        throw new CairnError('ERR_EXISTS', `${folder} exists and is not a folder`, { cause: error });
      }
      throw translate(error, folder);
    }
  }

  /** A folder's entries; none when the folder does not exist. */
  async function entries(folder: string) {
    try {
      return await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return [];
      throw translate(error, folder);
    }
  }

  /** A file's size, or undefined when it vanished since it was listed. */
  async function sizeOf(file: string): Promise<number | undefined> {
    try {
      return (await stat(file)).size;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw translate(error, file);
    }
  }
}

