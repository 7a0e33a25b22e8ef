import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ZstdCodec } from '@cairn/pack';

/** One way of storing a corpus's small files: each alone, or packed into frames of about `groupBytes`. */
export interface GroupSample {
  /** 0: one frame per file (cairn today); otherwise the raw bytes a group is filled to. */
  readonly groupBytes: number;
  readonly frames: number;
  /** Bytes of all frames: what the small files cost in the repository (before per-blob headers). */
  readonly storedBytes: number;
  /** CPU time of compressing them all (one thread). */
  readonly compressSeconds: number;
  /** Reading one small file at random: the raw bytes decompressed (its frame), the mean over the samples. */
  readonly meanReadBytes: number;
  /** …and the mean time to decompress that frame. */
  readonly meanReadMicros: number;
}

/** The small files of a corpus, in the order a backup walks them (names sorted, depth first). */
export interface SmallFiles {
  readonly paths: readonly string[];
  readonly sizes: readonly number[];
  readonly bytes: number;
  /** Regular files too big to be one chunk, left out. */
  readonly skipped: number;
}

/** Lists the regular files of `root` no bigger than `maxBytes` (and not empty), in walk order. */
export function listSmallFiles(root: string, maxBytes: number): SmallFiles {
  const paths: string[] = [];
  const sizes: number[] = [];
  let bytes = 0;
  let skipped = 0;
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let info;
      try {
        info = lstatSync(path);
      } catch {
        continue;
      }
      if (info.isDirectory()) walk(path);
      else if (info.isFile() && info.size > 0) {
        if (info.size > maxBytes) skipped += 1;
        else {
          paths.push(path);
          sizes.push(info.size);
          bytes += info.size;
        }
      }
    }
  };
  walk(root);
  return { paths, sizes, bytes, skipped };
}

/**
 * Compresses `files` at `level` once per group size (0: each file alone), filling each group in
 * walk order until the next file would pass the size, and decompresses the frames of
 * `samples` evenly spread files to price a random read of one file.
 */
export function measureGroups(zstd: ZstdCodec, files: SmallFiles, groupSizes: readonly number[], level: number, samples: number): GroupSample[] {
  const picks = new Set<number>();
  const count = files.paths.length;
  for (let i = 0; i < Math.min(samples, count); i += 1) picks.add(Math.floor((i * count) / Math.min(samples, count)));
  return groupSizes.map((groupBytes) => {
    const frames: Uint8Array[] = [];
    const frameRaw: number[] = [];
    const frameOf = new Map<number, number>(); // picked file → its frame
    let compressSeconds = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      if (pending.length === 0) return;
      const raw = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      const started = performance.now();
      frames.push(zstd.compress(raw, level));
      compressSeconds += (performance.now() - started) / 1000;
      frameRaw.push(raw.length);
      pending = [];
      pendingBytes = 0;
    };
    for (let i = 0; i < count; i += 1) {
      const data = readWhole(files.paths[i]!, files.sizes[i]!);
      if (groupBytes === 0 || pendingBytes + data.length > groupBytes) flush();
      if (picks.has(i)) frameOf.set(i, frames.length);
      pending.push(data);
      pendingBytes += data.length;
    }
    flush();
    let readBytes = 0;
    let readMicros = 0;
    for (const frame of frameOf.values()) {
      const raw = frameRaw[frame]!;
      const started = performance.now();
      zstd.decompress(frames[frame]!, raw);
      readMicros += (performance.now() - started) * 1000;
      readBytes += raw;
    }
    const n = Math.max(1, frameOf.size);
    return { groupBytes, frames: frames.length, storedBytes: frames.reduce((sum, f) => sum + f.length, 0), compressSeconds, meanReadBytes: readBytes / n, meanReadMicros: readMicros / n };
  });
}

/** The file's bytes (a file that shrank since the listing gives what it holds now). */
function readWhole(path: string, size: number): Uint8Array {
  const buffer = Buffer.allocUnsafe(size);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buffer, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buffer.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}
