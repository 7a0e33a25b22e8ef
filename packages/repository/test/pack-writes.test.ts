import { describe, expect, it } from 'vitest';
import { CairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { encodeBlob } from '@cairn/pack';
import { blobId } from '@cairn/chunker';
import { createMemoryBackend } from '@cairn/transport';
import { createPackWriter } from '../src/write/pack-writer.js';
import { seededBytes } from './helpers.js';

/** A backend whose data writes take `delayMs` and count how many run at once; the `failAt`-th data write fails. */
function slowBackend(delayMs: number, failAt = 0): { backend: Backend; most: () => number; dataWrites: () => number } {
  const inner = createMemoryBackend();
  let running = 0;
  let most = 0;
  let writes = 0;
  const backend = withWrite(inner, async (type, name, data) => {
    if (type !== 'data') return inner.write(type, name, data);
    writes += 1;
    const mine = writes;
    running += 1;
    most = Math.max(most, running);
    try {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (mine === failAt) throw new CairnError('ERR_IO', `write ${mine} failed on purpose`);
      await inner.write(type, name, data);
    } finally {
      running -= 1;
    }
  });
  return { backend, most: () => most, dataWrites: () => writes };
}

/** `inner` with its writes going through `write` (every other call passed on). */
function withWrite(inner: Backend, write: Backend['write']): Backend {
  return {
    ...inner,
    location: inner.location,
    create: () => inner.create(),
    read: (type, name, range) => inner.read(type, name, range),
    stat: (type, name) => inner.stat(type, name),
    list: (type) => inner.list(type),
    remove: (type, name) => inner.remove(type, name),
    write,
  };
}

/** Adds `blobs` distinct data blobs of 64 KiB each (two to a pack of 128 KiB). */
async function fill(add: (id: Uint8Array, blob: ReturnType<typeof encodeBlob>) => Promise<void>, blobs: number): Promise<void> {
  for (let i = 0; i < blobs; i += 1) {
    const plain = seededBytes(64 * 1024, i + 1);
    await add(blobId(plain), encodeBlob(plain, null, 3));
  }
}

describe('the pack writer writes packs side by side', () => {
  it('has at most parallelWrites pack files being written at once, and indexes every pack after it is written', async () => {
    for (const parallelWrites of [1, 2, 3]) {
      const { backend, most, dataWrites } = slowBackend(30);
      const indexed: string[] = [];
      const writer = createPackWriter(backend, { packSize: 128 * 1024, parallelWrites, onPack: (pack) => indexed.push(Buffer.from(pack.id).toString('hex')) });
      await fill((id, blob) => writer.add(id, 'data', blob), 16);
      await writer.finish();
      expect(dataWrites()).toBe(8);
      expect(most()).toBe(parallelWrites);
      const stored: string[] = [];
      for await (const file of backend.list('data')) stored.push(file.name);
      expect(stored.sort()).toEqual([...indexed].sort());
      let indexFiles = 0;
      for await (const _ of backend.list('index')) indexFiles += 1;
      expect(indexFiles).toBe(1);
    }
  });

  it('a pack write that fails fails a later add or finish with its error, and abort indexes only the packs written', async () => {
    const { backend } = slowBackend(20, 2);
    const indexed: string[] = [];
    const writer = createPackWriter(backend, { packSize: 128 * 1024, parallelWrites: 2, onPack: (pack) => indexed.push(Buffer.from(pack.id).toString('hex')) });
    const failed = await fill((id, blob) => writer.add(id, 'data', blob), 16).then(() => writer.finish()).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'ERR_IO', message: 'write 2 failed on purpose' });
    await writer.abort();
    const stored: string[] = [];
    for await (const file of backend.list('data')) stored.push(file.name);
    expect(stored.sort()).toEqual([...indexed].sort());
    expect(stored.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a parallelWrites that is not a whole number >= 1', () => {
    expect(() => createPackWriter(createMemoryBackend(), { packSize: 1024, parallelWrites: 0 })).toThrow(RangeError);
  });
});

describe('the pack writer bounds its buffers', () => {
  it('holds at most parallelWrites data pack buffers, however many callers add at once', async () => {
    const inner = createMemoryBackend();
    const buffers = new Set<ArrayBufferLike>();
    const backend = withWrite(inner, async (type, name, data) => {
      if (type === 'data') {
        const first = Array.isArray(data) ? (data as readonly Uint8Array[])[0] : (data as Uint8Array);
        if (first !== undefined) buffers.add(first.buffer);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await inner.write(type, name, data);
    });
    const writer = createPackWriter(backend, { packSize: 128 * 1024, parallelWrites: 2 });
    // Three callers at once, as the compression pool's batches store their blobs.
    await Promise.all([0, 1, 2].map((caller) => (async () => {
      for (let i = 0; i < 12; i += 1) {
        const plain = seededBytes(64 * 1024, caller * 100 + i + 1);
        await writer.add(blobId(plain), 'data', encodeBlob(plain, null, 3));
      }
    })()));
    await writer.finish();
    expect(writer.packsWritten).toBeGreaterThanOrEqual(18);
    expect(buffers.size).toBeLessThanOrEqual(2);
  });

  it('writes a pack at least half full before a blob that would overflow its buffer of packSize + 1 MiB', async () => {
    const backend = createMemoryBackend();
    const sizes: number[] = [];
    const MiB = 1024 * 1024;
    const writer = createPackWriter(backend, { packSize: 4 * MiB, onPack: (pack) => sizes.push(pack.blobs.reduce((sum, blob) => sum + blob.length, 0)) });
    for (const [i, size] of [3.5 * MiB, 2 * MiB, 1.5 * MiB, 0.5 * MiB].entries()) {
      const plain = seededBytes(size, i + 1);
      await writer.add(blobId(plain), 'data', encodeBlob(plain, null, 3));
    }
    await writer.finish();
    // 3.5 + 2 would pass 5 MiB: the first pack is written at 3.5; 2 + 1.5 + 0.5 reaches 4.
    expect(sizes).toEqual([3.5 * MiB, 4 * MiB]);
  });
});
