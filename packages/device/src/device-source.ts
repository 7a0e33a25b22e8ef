import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { CairnError, isCairnError } from '@cairn/core';
import type { EntryStat, Source, SourceFile } from '@cairn/core';
import type { BoardEntry } from './board/board-stat.js';
import { boardError } from './repl/board-errors.js';
import type { Device } from './open-device.js';

/** Options of createDeviceSource(). */
export interface DeviceSourceOptions {
  /** Whether size and mtime show a change (default: whether the board's clock is set); false compares the board's sha256 instead. */
  readonly trustMtime?: boolean;
  /** Called with the file bytes that crossed the link, as they arrive. */
  readonly onBytes?: (bytes: number) => void;
}

/** What scan() found below the paths of a backup. */
export interface DeviceScan {
  readonly files: number;
  readonly dirs: number;
  readonly bytes: number;
  /** The size of every regular file, by board path. */
  readonly sizes: ReadonlyMap<string, number>;
}

/** A Source reading a MicroPython board's filesystem, with a scan for progress totals. */
export interface DeviceSource extends Source {
  /** Lists everything below `paths` in one exec each; the next walk uses these listings instead of asking again. */
  scan(paths: readonly string[]): Promise<DeviceScan>;
}

/** The absolute, normalised board path of `path` ('lib/' -> '/lib'); a relative path starts at the board's root. */
export function resolveBoardPath(path: string): string {
  if (typeof path !== 'string' || path.includes('\0')) throw new TypeError(`not a board path: ${JSON.stringify(path)}`);
  const normal = posix.normalize(`/${path}`);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Orders names by their UTF-8 bytes. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The board's filesystem as a backup Source: paths are the board's absolute paths ('/',
 * '/lib/x.py'). A folder is listed with the stat of every entry in one exec, and each
 * entry's lstat is answered from that listing; files are read in large encoded chunks;
 * `digest` is the board's own sha256 (hashlib; sent with the listing when mtimes are not
 * trusted), or the host's after a download when the board has none. When the link fails (a timeout, a dropped connection) every call
 * throws ERR_ABORTED, so a backup stops instead of warning about each file left.
 */
export function createDeviceSource(device: Device, options: DeviceSourceOptions = {}): DeviceSource {
  const fs = device.fs;
  const listings = new Map<string, BoardEntry[]>();
  const entries = new Map<string, BoardEntry>();
  const digests = new Map<string, Uint8Array>();
  const trustMtime = options.trustMtime ?? device.info.clockSet;
  // Without mtimes, a listing brings each file's sha256 along: no exec per file to compare it.
  const withDigests = !trustMtime;

  /** Runs a board operation; once the link has failed, errors become ERR_ABORTED naming the cause. */
  const guarded = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const failure = device.repl.channel.failure;
      if (failure !== undefined && isCairnError(error)) {
        throw new CairnError('ERR_ABORTED', error.message, { cause: error, hint: error.hint ?? `reconnect the board at ${device.port} and run the backup again` });
      }
      throw error;
    }
  };

  const remember = (folder: string, list: BoardEntry[]): string[] => {
    for (const entry of list) {
      entries.set(posix.join(folder, entry.name), entry);
      if (entry.digest !== undefined) digests.set(posix.join(folder, entry.name), entry.digest);
    }
    return list.map((entry) => entry.name).sort(compareUtf8);
  };

  const readAll = async function* (path: string, onEnd: (stat: EntryStat) => void): AsyncGenerator<Buffer> {
    for await (const piece of fs.read(path, onEnd)) {
      options.onBytes?.(piece.byteLength);
      yield piece;
    }
  };

  const hostDigest = async (path: string): Promise<Uint8Array> => {
    const hash = createHash('sha256');
    for await (const piece of readAll(path, () => undefined)) hash.update(piece);
    return hash.digest();
  };

  return {
    name: `device:${device.port}`,
    metadataShowsChanges: trustMtime,
    resolve: resolveBoardPath,
    join: (dir, name) => posix.join(dir, name),

    async lstat(path) {
      const known = entries.get(path);
      if (known !== undefined) {
        entries.delete(path);
        if (known.stat !== undefined) return known.stat;
        throw boardError(device.port, device.info.platform, `OSError: ${known.errno}`, `reading the metadata of ${path}`);
      }
      return guarded(() => fs.stat(path));
    },

    async readdir(path) {
      const scanned = listings.get(path);
      if (scanned !== undefined) {
        listings.delete(path);
        return remember(path, scanned);
      }
      const listed = await guarded(() => fs.list(path, false, withDigests));
      return remember(path, listed.get(path) ?? []);
    },

    async readlink(path) {
      throw new CairnError('ERR_UNSUPPORTED', `${path} on the board at ${device.port}: MicroPython cannot read symlinks`);
    },

    async openFile(path) {
      let stat = await guarded(() => fs.stat(path));
      if (stat.type !== 'file') throw new CairnError('ERR_UNSUPPORTED', `${path} on the board at ${device.port} is a ${stat.type}, not a regular file`);
      const file: SourceFile = {
        stat: async () => stat,
        async *chunks(bufferSize, signal) {
          if (!Number.isSafeInteger(bufferSize) || bufferSize <= 0) throw new RangeError(`bufferSize must be a positive integer, got ${String(bufferSize)}`);
          const pieces = readAll(path, (after) => {
            stat = after;
          })[Symbol.asyncIterator]();
          try {
            for (;;) {
              if (signal?.aborted === true) throw new CairnError('ERR_ABORTED', `reading ${path} was aborted`, { cause: signal.reason });
              const next = await guarded(() => pieces.next());
              if (next.done === true) return;
              for (let at = 0; at < next.value.byteLength; at += bufferSize) yield next.value.subarray(at, at + bufferSize);
            }
          } finally {
            await pieces.return?.(undefined);
          }
        },
        close: async () => undefined,
      };
      return file;
    },

    async digest(path) {
      const listed = digests.get(path);
      if (listed !== undefined) {
        digests.delete(path);
        return listed;
      }
      return guarded(() => (device.info.hasHashlib ? fs.hash(path) : hostDigest(path)));
    },

    async scan(paths) {
      let files = 0;
      let dirs = 0;
      let bytes = 0;
      const sizes = new Map<string, number>();
      for (const given of paths) {
        const root = resolveBoardPath(given);
        const stat = await guarded(() => fs.stat(root));
        if (stat.type === 'file') {
          files += 1;
          bytes += stat.size;
          sizes.set(root, stat.size);
          continue;
        }
        if (stat.type !== 'dir') continue;
        for (const [folder, list] of await guarded(() => fs.list(root, true, withDigests))) {
          listings.set(folder, list);
          dirs += 1;
          for (const entry of list) {
            if (entry.stat?.type !== 'file') continue;
            files += 1;
            bytes += entry.stat.size;
            sizes.set(posix.join(folder, entry.name), entry.stat.size);
          }
        }
      }
      return { files, dirs, bytes, sizes };
    },
  };
}
