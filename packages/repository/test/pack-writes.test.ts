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

/**
 * A memory backend that also writes packs as they are built (createWriter), keeping each append's
 * size; the `failAt`-th append fails. Packs appear through the inner backend's write at finish.
 */
function streamingBackend(failAt = 0): { backend: Backend; appends: number[]; aborted: () => number; open: () => number } {
  const inner = createMemoryBackend();
  const appends: number[] = [];
  let aborted = 0;
  let open = 0;
  const backend: Backend = {
    ...withWrite(inner, (type, name, data) => inner.write(type, name, data)),
    async createWriter() {
      const pieces: Uint8Array[] = [];
      let ended = false;
      open += 1;
      const end = (): void => {
        if (!ended) open -= 1;
        ended = true;
      };
      return {
        async append(bytes) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (appends.length + 1 === failAt) {
            end();
            throw new CairnError('ERR_IO', `append ${failAt} failed on purpose`);
          }
          appends.push(bytes.length);
          pieces.push(bytes.slice());
        },
        readBack(offset, length) {
          let at = 0;
          for (const piece of pieces) {
            if (offset >= at && offset + length <= at + piece.length) return piece.slice(offset - at, offset - at + length);
            at += piece.length;
          }
          throw new RangeError(`no part holds bytes ${offset} to ${offset + length}`);
        },
        async finish(name) {
          await inner.write('data', name, pieces);
          end();
        },
        async abort() {
          aborted += 1;
          end();
        },
      };
    },
  };
  return { backend, appends, aborted: () => aborted, open: () => open };
}

/** Every data file of `backend`: name and bytes, sorted by name. */
async function dataFiles(backend: Backend): Promise<[string, string][]> {
  const files: [string, string][] = [];
  for await (const { name } of backend.list('data')) files.push([name, Buffer.from(await backend.read('data', name)).toString('base64')]);
  return files.sort((a, b) => a[0].localeCompare(b[0]));
}

describe('data packs written as they are built (Backend.createWriter)', () => {
  const MiB = 1024 * 1024;
  /** Blobs of 64 KiB to 3 MiB (one larger than a part), distinct. */
  const blobs = Array.from({ length: 90 }, (_, i) => seededBytes(i === 40 ? 3 * MiB : 64 * 1024 + i, i + 1));

  it('gives the same pack files, byte for byte, as whole writes, in parts of at most 2 MiB (a larger blob alone)', async () => {
    const whole = createMemoryBackend();
    const { backend, appends, open } = streamingBackend();
    for (const target of [whole, backend]) {
      const writer = createPackWriter(target, { packSize: 4 * MiB });
      for (const plain of blobs) await writer.add(blobId(plain), 'data', encodeBlob(plain, null, 3));
      const tree = seededBytes(5000, 999);
      await writer.add(blobId(tree), 'tree', encodeBlob(tree, null, 3));
      await writer.finish();
    }
    expect(await dataFiles(backend)).toEqual(await dataFiles(whole));
    expect((await dataFiles(backend)).length).toBeGreaterThanOrEqual(3);
    expect(appends.length).toBeGreaterThan(4);
    // Each part holds at most 2 MiB, but for the one that is a single larger blob.
    expect(appends.filter((size) => size > 2 * MiB)).toEqual([3 * MiB]);
    expect(open()).toBe(0);
  });

  it('finds a blob of the open pack whether its part is written, being written or filling (unwritten)', async () => {
    const { backend } = streamingBackend();
    const writer = createPackWriter(backend, { packSize: 64 * MiB });
    const added: [Uint8Array, Uint8Array][] = [];
    for (const plain of blobs) {
      const blob = encodeBlob(plain, null, 3);
      await writer.add(blobId(plain), 'data', blob);
      added.push([blobId(plain), blob.data.slice()]);
      // Every blob so far, the newest and the earliest (spilled long ago).
      for (const [id, data] of [added[0]!, added[added.length - 1]!]) expect(Buffer.from(writer.unwritten(id)!.data).equals(data)).toBe(true);
    }
    for (const [id, data] of added) expect(Buffer.from(writer.unwritten(id)!.data).equals(data)).toBe(true);
    await writer.finish();
    expect(writer.unwritten(added[0]![0])).toBeUndefined();
  });

  it('a part that fails to be written fails a later add or finish with its error; the pack is dropped and never indexed', async () => {
    for (const failAt of [1, 2, 5]) {
      const { backend, aborted, open } = streamingBackend(failAt);
      const indexed: number[] = [];
      const writer = createPackWriter(backend, { packSize: 4 * MiB, onPack: (pack) => indexed.push(pack.blobs.length) });
      const failed = await (async () => {
        for (const plain of blobs) await writer.add(blobId(plain), 'data', encodeBlob(plain, null, 3));
        await writer.finish();
      })().catch((error: unknown) => error);
      expect(String(failed)).toContain(`append ${failAt} failed on purpose`);
      await writer.abort();
      expect(aborted()).toBeGreaterThanOrEqual(1);
      expect(open()).toBe(0);
      // What was indexed is exactly what was written whole.
      const written = await dataFiles(backend);
      expect(indexed).toHaveLength(written.length);
    }
  });

  it('a pack file that cannot be opened (no space for it) fails the add with its error, and the next pack tries again', async () => {
    const { backend: streaming, open } = streamingBackend();
    let refusals = 1;
    const backend: Backend = {
      ...streaming,
      async createWriter(type) {
        if (refusals-- > 0) throw new CairnError('ERR_NO_SPACE', 'no space left for repository memory: (a new pack) on purpose');
        return streaming.createWriter!(type);
      },
    };
    const indexed: number[] = [];
    const writer = createPackWriter(backend, { packSize: 4 * MiB, onPack: (pack) => indexed.push(pack.blobs.length) });
    const [first, ...rest] = blobs;
    const refused = await writer.add(blobId(first!), 'data', encodeBlob(first!, null, 3)).catch((error: unknown) => error);
    expect(String(refused)).toContain('no space left for repository memory');
    expect(writer.unwritten(blobId(first!))).toBeUndefined();
    for (const plain of rest) await writer.add(blobId(plain), 'data', encodeBlob(plain, null, 3));
    await writer.finish();
    expect(indexed.reduce((sum, count) => sum + count, 0)).toBe(rest.length);
    expect((await dataFiles(backend)).length).toBe(indexed.length);
    expect(open()).toBe(0);
  });

  it('abort drops the open streamed pack: nothing appears under a name', async () => {
    const { backend, aborted, open } = streamingBackend();
    const writer = createPackWriter(backend, { packSize: 64 * MiB });
    for (const plain of blobs.slice(0, 60)) await writer.add(blobId(plain), 'data', encodeBlob(plain, null, 3));
    await writer.abort();
    expect(aborted()).toBe(1);
    expect(open()).toBe(0);
    expect(await dataFiles(backend)).toEqual([]);
  });
});
