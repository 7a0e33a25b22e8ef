import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blobId } from '@cairn/chunker';
import type { Id } from '@cairn/core';
import { decodeBlob, loadZstd } from '@cairn/pack';
import type { EncodedBlob, ZstdCodec } from '@cairn/pack';
import { createCompressPool } from '../src/write/compress-pool.js';
import type { CompressPool } from '../src/write/compress-pool.js';
import { seededBytes, tempDir } from './helpers.js';

/** A pool of two threads (zstd level 3) that keeps a copy of every blob it stores, by hex id. */
function storingPool(zstd: ZstdCodec, recycle: boolean): { pool: CompressPool; stored: Map<string, EncodedBlob> } {
  const stored = new Map<string, EncodedBlob>();
  const pool = createCompressPool({
    codec: 'zstd',
    level: 3,
    zstd,
    threads: 2,
    ...(recycle ? { recycle: true } : {}),
    store: async (_id, hex, blob) => {
      stored.set(hex, { ...blob, data: blob.data.slice() });
    },
  });
  return { pool, stored };
}

describe('the compression pool', () => {
  it('compresses in worker threads that load from source (no build needed) and hands back every blob intact', { timeout: 60_000 }, async () => {
    const zstd = await loadZstd();
    const { pool, stored } = storingPool(zstd, false);
    // 12 MiB: three full batches, so the threads start; half the blobs compress well, half not at all.
    const blobs = new Map<string, Buffer>();
    for (let i = 0; i < 48; i += 1) {
      const plain = i % 2 === 0 ? Buffer.alloc(256 * 1024, i) : seededBytes(256 * 1024, i + 1);
      const id: Id = blobId(plain);
      const hex = Buffer.from(id).toString('hex');
      blobs.set(hex, plain);
      await pool.add(id, hex, plain);
    }
    await pool.drain();
    await pool.close();
    expect([...stored.keys()].sort()).toEqual([...blobs.keys()].sort());
    for (const [hex, plain] of blobs) {
      const blob = stored.get(hex);
      expect(blob).toBeDefined();
      if (blob === undefined) continue;
      expect(Buffer.from(decodeBlob(blob.data, blob.codec, blob.rawLength, zstd, hex)).equals(plain), hex).toBe(true);
    }
    expect(stored.get(Buffer.from(blobId(Buffer.alloc(256 * 1024, 0))).toString('hex'))?.codec).toBe('zstd');
  });

  it('compresses each batch in its own buffer and reuses at most 2 × (threads + 1) + 1 of them however many batches pass', { timeout: 60_000 }, async () => {
    const zstd = await loadZstd();
    const { pool, stored } = storingPool(zstd, true);
    // 40 MiB in 256 KiB blobs: twenty batches of 2 MiB; every third blob does not compress.
    const blobs = new Map<string, Uint8Array>();
    for (let i = 0; i < 160; i += 1) {
      const plain = i % 3 === 0 ? seededBytes(256 * 1024, i + 1) : Buffer.alloc(256 * 1024, i);
      const hex = Buffer.from(blobId(plain)).toString('hex');
      blobs.set(hex, plain);
      await pool.add(blobId(plain), hex, plain);
    }
    await pool.drain();
    await pool.close();
    expect(pool.buffersAllocated).toBeGreaterThan(0);
    expect(pool.buffersAllocated).toBeLessThanOrEqual(7); // two per thread and two more in flight, one filling
    expect(stored.size).toBe(160);
    for (const [hex, plain] of blobs) {
      const blob = stored.get(hex);
      if (blob === undefined) throw new Error(`${hex} was not stored`);
      expect(Buffer.from(decodeBlob(blob.data, blob.codec, blob.rawLength, zstd, hex)).equals(plain), hex).toBe(true);
    }
  });

  it('keeps no more bytes of spare buffers than may be in flight when blobs are larger than a batch', { timeout: 60_000 }, async () => {
    const zstd = await loadZstd();
    const { pool, stored } = storingPool(zstd, true);
    // Chunks of 3 to 8 MiB (a big file's): each batch buffer is one blob's size.
    const sizes = [3, 8, 5, 7, 4, 8, 6, 3, 8, 5, 7, 6].map((mib) => mib * 1024 * 1024);
    let most = 0;
    for (const [i, size] of sizes.entries()) {
      const plain = Buffer.alloc(size, i + 1);
      await pool.add(blobId(plain), String(i), plain);
      most = Math.max(most, pool.spareBytes);
    }
    await pool.drain();
    most = Math.max(most, pool.spareBytes);
    await pool.close();
    expect(stored.size).toBe(sizes.length);
    expect(most).toBeGreaterThan(0); // buffers came back and were kept for reuse
    expect(most).toBeLessThanOrEqual(3 * 2 * 2 * 1024 * 1024); // (threads + 1) × 2 batches of 2 MiB
  });

  it('fails the work with an error naming the worker when the worker cannot start, instead of waiting forever', { timeout: 30_000 }, async () => {
    const zstd = await loadZstd();
    // A .ts file Node cannot load without a loader: the worker dies before it is ready.
    const broken = join(await tempDir(), 'broken-worker.ts');
    await writeFile(broken, 'export default (task: unknown): unknown => task;\n');
    const pool = createCompressPool({ codec: 'zstd', level: 3, zstd, threads: 1, store: async () => {}, worker: { filename: pathToFileURL(broken).href, execArgv: [] } });
    const work = (async () => {
      for (let i = 0; i < 8; i += 1) {
        const plain = seededBytes(1024 * 1024, i + 1);
        await pool.add(blobId(plain), String(i), plain);
      }
      await pool.drain();
    })();
    await expect(work).rejects.toThrow(/compression worker .*broken-worker\.ts failed: .*Unknown file extension/);
    await pool.close();
  });
});
