import { closeSync } from 'node:fs';
import { fromSystemError } from '@cairn/core';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** The errno code of an OS error, if it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Reads into `buffer` from `position` until it is full or the file ends; returns the bytes read. */
export async function readFully(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, done, buffer.byteLength - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Writes every byte of `pieces` at the handle's current position (short writes are resumed). */
export async function writeAll(handle: FileHandle, pieces: readonly Uint8Array[]): Promise<void> {
  let rest = pieces.filter((piece) => piece.byteLength > 0);
  while (rest.length > 0) {
    const batch = rest.slice(0, 1024); // IOV_MAX on Linux
    let { bytesWritten } = await handle.writev(batch);
    const next: Uint8Array[] = [];
    for (const piece of rest) {
      if (bytesWritten >= piece.byteLength) {
        bytesWritten -= piece.byteLength;
      } else {
        next.push(bytesWritten > 0 ? piece.subarray(bytesWritten) : piece);
        bytesWritten = 0;
      }
    }
    rest = next;
  }
}

const unsyncableDir = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'EBADF', 'ENOTSUP', 'EOPNOTSUPP']);

/** Flushes a folder's entries to disk, where the platform allows opening and syncing a folder. */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!unsyncableDir.has(errnoOf(error) ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/** A close() for descriptor `fd` that closes it once (later calls do nothing); CairnError naming `path` when it fails. */
export function closeOnce(fd: number, path: string): () => Promise<void> {
  let closed = false;
  return async () => {
    if (closed) return;
    closed = true;
    try {
      closeSync(fd);
    } catch (error) {
      throw fromSystemError(error, path);
    }
  };
}
