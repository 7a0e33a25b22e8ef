import { CairnError, fromSystemError } from '@cairn/core';
import type { EntryStat, Source, SourceFile } from '@cairn/core';

/** Options of createStreamSource. */
export interface StreamSourceOptions {
  /** The file's name in the snapshot (default `stdin`): one entry name, no '/'. */
  readonly name?: string;
  /** The file's permission bits (default 0o644). */
  readonly mode?: number;
  /** The file's mtime (default: when the source is made). */
  readonly mtime?: Date;
}

/**
 * A Source holding one regular file, `/<name>`, whose bytes are `stream` (a process's standard
 * input, a database dump piped in). The file can be opened once: its bytes pass through as they
 * come, never held whole, and its size is what was read (the SourceFile is a `stream`). Its
 * owner is this process's user; its root `/` is a folder holding only it.
 */
export function createStreamSource(stream: AsyncIterable<Uint8Array>, options: StreamSourceOptions = {}): Source {
  const name = options.name ?? 'stdin';
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new RangeError(`a stream's file name must be one entry name (not empty, ".", ".." and without "/" or NUL), not ${JSON.stringify(name)}`);
  }
  const file = `/${name}`;
  const timeNs = BigInt((options.mtime ?? new Date()).getTime()) * 1_000_000n;
  const base = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtimeNs: timeNs, ctimeNs: timeNs, ino: 0n, dev: 0n, nlink: 1, rdev: 0 };
  const fileStat = (size: number): EntryStat => ({ ...base, type: 'file', mode: options.mode ?? 0o644, size });
  const rootStat: EntryStat = { ...base, type: 'dir', mode: 0o755, size: 0, nlink: 2 };
  let opened = false;
  const missing = (path: string): CairnError => new CairnError('ERR_NOT_FOUND', `${path}: the stream holds only ${file}`);
  return {
    name: 'stream',
    resolve: (path) => `/${path.replace(/^\/+/, '')}`,
    join: (dir, entry) => (dir.endsWith('/') ? `${dir}${entry}` : `${dir}/${entry}`),
    async lstat(path) {
      if (path === file) return fileStat(0);
      if (path === '/') return rootStat;
      throw missing(path);
    },
    async readdir(path) {
      if (path === '/') return [name];
      throw missing(path);
    },
    async readlink(path) {
      throw new CairnError('ERR_NOT_FOUND', `${path} is not a symlink`);
    },
    async openFile(path) {
      if (path !== file) throw missing(path);
      if (opened) throw new CairnError('ERR_UNSUPPORTED', `${file} is a stream: it can be read only once`);
      opened = true;
      return streamFile(stream, file, fileStat);
    },
  };
}

function streamFile(stream: AsyncIterable<Uint8Array>, path: string, stat: (size: number) => EntryStat): SourceFile {
  let read = 0;
  return {
    stream: true,
    stat: async () => stat(read),
    async *chunks(bufferSize, signal) {
      try {
        for await (const piece of stream) {
          if (signal?.aborted === true) throw new CairnError('ERR_ABORTED', `reading ${path} was interrupted`);
          for (let at = 0; at < piece.byteLength; at += bufferSize) {
            const part = piece.subarray(at, Math.min(piece.byteLength, at + bufferSize));
            read += part.byteLength;
            yield part;
          }
        }
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    close: async () => undefined,
  };
}
