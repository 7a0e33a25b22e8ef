import type { FileHandle } from 'node:fs/promises';
import { writeSync } from 'node:fs';

/** The block size holes are made of: a block of zeros aligned to it is not written. */
const BLOCK = 4096;
/** Zeros between two runs of data shorter than this are written: a hole there would cost a write call for little space. */
const MIN_GAP = 64 * 1024;
const ZEROS = Buffer.alloc(BLOCK);

/**
 * The ranges `[start, end)` of `data` (to be written at file offset `position`) to write: its
 * BLOCK-sized pieces (aligned to the file offset) that hold a byte other than zero, merged when
 * less than MIN_GAP of zeros lies between them. What they leave out is all zeros: a new file
 * that skips it keeps holes there (a sparse file).
 */
export function dataRuns(data: Uint8Array, position: number): [number, number][] {
  const runs: [number, number][] = [];
  let start = 0;
  while (start < data.byteLength) {
    const end = Math.min(data.byteLength, start + BLOCK - ((position + start) % BLOCK));
    if (!isZero(data, start, end)) {
      const last = runs[runs.length - 1];
      if (last !== undefined && start - last[1] < MIN_GAP) last[1] = end;
      else runs.push([start, end]);
    }
    start = end;
  }
  return runs;
}

function isZero(data: Uint8Array, start: number, end: number): boolean {
  // Most data blocks show a non-zero byte at once; the rest is one memcmp.
  if (data[start] !== 0 || data[end - 1] !== 0) return false;
  return Buffer.compare(Buffer.from(data.buffer, data.byteOffset + start, end - start), ZEROS.subarray(0, end - start)) === 0;
}

/**
 * Writes `data` at `position` of a file that was created empty, leaving its all-zero blocks
 * unwritten (holes); returns the end of the last byte written, or 0 when nothing was. The caller
 * gives the file its full size (ftruncate) when the writes did not reach it.
 */
export async function writeSparse(handle: FileHandle, data: Uint8Array, position: number): Promise<number> {
  let reached = 0;
  for (const [start, end] of dataRuns(data, position)) {
    let done = start;
    while (done < end) {
      const { bytesWritten } = await handle.write(data, done, end - done, position + done);
      done += bytesWritten;
    }
    reached = position + end;
  }
  return reached;
}

/** writeSparse for a file descriptor, synchronously: for the small files a restore writes at once. */
export function writeSparseSync(fd: number, data: Uint8Array, position: number): number {
  let reached = 0;
  for (const [start, end] of dataRuns(data, position)) {
    let done = start;
    while (done < end) done += writeSync(fd, data, done, end - done, position + done);
    reached = position + end;
  }
  return reached;
}
