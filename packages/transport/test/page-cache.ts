import { execFileSync } from 'node:child_process';

/** Python: drops a file's pages, prints "evicted" when a read of its first byte would then block (else "cached" or "unknown"). */
const EVICT = `
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
try:
    os.preadv(fd, [bytearray(1)], 0, os.RWF_NOWAIT)
    print('cached')
except OSError as error:
    time.sleep(0.2)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    print('evicted' if error.errno == 11 else 'unknown')
`;

/**
 * Takes the file at `path` out of the page cache where its filesystem allows (not tmpfs): written
 * out, dropped, seen missing by a read that would block, and dropped again (that read starts one
 * of its own). True when it is out.
 */
export function evictFromMemory(path: string): boolean {
  return execFileSync('python3', ['-c', EVICT, path], { encoding: 'utf8' }).trim() === 'evicted';
}

/** Bytes of the file at `path` in the page cache (fincore, which asks mincore and reads nothing). */
export function bytesInMemory(path: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '-o', 'RES', path], { encoding: 'utf8' }).trim());
}
