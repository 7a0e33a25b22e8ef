import { closeSync, openSync, readSync } from 'node:fs';
import { opendir } from 'node:fs/promises';
import { join } from 'node:path';

const buffer = Buffer.allocUnsafe(1024 * 1024);

/**
 * Reads every regular file below `dir` once, so that the next tool finds the source in the page
 * cache whatever ran before it: borg drops the files it read from the cache
 * (POSIX_FADV_DONTNEED), which otherwise makes whichever tool follows borg read from disk.
 * Returns the bytes read.
 */
export async function warmPageCache(dir: string): Promise<number> {
  let bytes = 0;
  const visit = async (folder: string): Promise<void> => {
    for await (const entry of await opendir(folder)) {
      const at = join(folder, entry.name);
      if (entry.isDirectory()) await visit(at);
      else if (entry.isFile()) bytes += readAll(at);
    }
  };
  await visit(dir);
  return bytes;
}

function readAll(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0; // unreadable: the tools meet it as they will
  }
  let total = 0;
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) total += n;
  } finally {
    closeSync(fd);
  }
  return total;
}
