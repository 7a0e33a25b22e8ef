import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CairnError, fromSystemError } from '@cairn/core';
import type { SourceFile } from '@cairn/core';
import { nodeTypeOf, toEntryStat } from './entry-stat.js';
import { errnoOf } from './file-io.js';

const openFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Opens the regular file at `path` without following a symlink and without blocking on
 * a fifo; anything that is not a regular file is ERR_UNSUPPORTED naming the path and its type.
 */
export async function openLocalFile(path: string): Promise<SourceFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, openFlags);
  } catch (error) {
    // O_NOFOLLOW on a symlink gives ELOOP; opening a socket gives ENXIO.
    const code = errnoOf(error);
    if (code === 'ELOOP' || code === 'ENXIO' || code === 'ENODEV') await refuseIfSpecial(path, error);
    throw fromSystemError(error, path);
  }
  try {
    const type = nodeTypeOf(await handle.stat({ bigint: true }));
    if (type !== 'file') throw notRegular(path, type ?? 'unknown entry');
  } catch (error) {
    await handle.close();
    throw fromSystemError(error, path);
  }
  return wrapHandle(handle, path);
}

function notRegular(path: string, type: string, cause?: unknown): CairnError {
  return new CairnError('ERR_UNSUPPORTED', `${path} is a ${type}, not a regular file`, { cause });
}

async function refuseIfSpecial(path: string, cause: unknown): Promise<void> {
  const type = await lstat(path, { bigint: true }).then(nodeTypeOf, () => undefined);
  if (type !== undefined && type !== 'file') throw notRegular(path, type, cause);
}

function wrapHandle(handle: FileHandle, path: string): SourceFile {
  let closed = false;
  return {
    async stat() {
      try {
        return toEntryStat(await handle.stat({ bigint: true }), path);
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
          ({ bytesRead } = await handle.read(buffer, 0, bufferSize, position));
        } catch (error) {
          throw fromSystemError(error, path);
        }
        if (bytesRead === 0) return;
        position += bytesRead;
        yield bytesRead === bufferSize ? buffer : buffer.subarray(0, bytesRead);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await handle.close();
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
  };
}
