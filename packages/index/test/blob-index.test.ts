import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PackedBlob } from '@cairn/core';
import { createBlobIndex } from '@cairn/index';
import { fixedId, randomId } from './helpers.js';

const COUNT = 1_000_000;
const PER_PACK = 10_000;

/** The blob of entry `i`: every field derived from i, so a lookup can be checked. */
function blobAt(ids: Uint8Array, i: number): PackedBlob {
  return {
    id: ids.subarray(i * 32, i * 32 + 32),
    type: i % 3 === 0 ? 'tree' : 'data',
    offset: (i * 2654435761) >>> 0,
    length: (i % 9999) + 1,
    rawLength: ((i * 7) % 4_000_000) + 1,
    codec: i % 2 === 0 ? 'zstd' : 'none',
  };
}

describe('createBlobIndex with a million blobs', () => {
  const ids = new Uint8Array(randomBytes(COUNT * 32));
  const index = createBlobIndex();
  const packIds = Array.from({ length: COUNT / PER_PACK }, () => randomId());
  const emptyBytes = index.memoryBytes();
  packIds.forEach((packId, p) => {
    const blobs: PackedBlob[] = [];
    for (let i = p * PER_PACK; i < (p + 1) * PER_PACK; i += 1) blobs.push(blobAt(ids, i));
    index.addPack(packId, blobs);
  });

  it('finds every blob at the place it was added', () => {
    expect(index.size).toBe(COUNT);
    expect(index.packCount).toBe(packIds.length);
    let wrong = 0;
    for (let i = 0; i < COUNT; i += 1) {
      const id = ids.subarray(i * 32, i * 32 + 32);
      const want = blobAt(ids, i);
      const got = index.lookup(id);
      if (
        got === undefined || !index.has(id) ||
        Buffer.compare(got.packId, packIds[Math.floor(i / PER_PACK)]!) !== 0 ||
        got.type !== want.type || got.offset !== want.offset || got.length !== want.length ||
        got.rawLength !== want.rawLength || got.codec !== want.codec
      ) {
        wrong += 1;
      }
    }
    expect(wrong).toBe(0);
  });

  it('misses ids it does not hold, even ones sharing the hashed bytes', () => {
    for (let i = 0; i < 1000; i += 1) {
      const stranger = randomId();
      expect(index.has(stranger)).toBe(false);
      expect(index.lookup(stranger)).toBeUndefined();
    }
    const nearly = new Uint8Array(ids.subarray(5 * 32, 6 * 32));
    nearly[31] = nearly[31]! ^ 1; // same first 4 bytes (same hash slot), different id
    expect(index.has(nearly)).toBe(false);
    nearly[31] = nearly[31]! ^ 1;
    expect(index.has(nearly)).toBe(true);
  });

  it('grew from a small empty table to at most 64 bytes per blob', () => {
    expect(emptyBytes).toBeLessThan(1024);
    const perBlob = index.memoryBytes() / index.size;
    expect(perBlob).toBeGreaterThan(48); // the 49 bytes of fields per blob are really held
    expect(perBlob).toBeLessThanOrEqual(64);
  });

  it('iterates every entry in insertion order with copies of the ids', () => {
    let n = 0;
    let ordered = true;
    for (const [id, location] of index.entries()) {
      if (Buffer.compare(id, ids.subarray(n * 32, n * 32 + 32)) !== 0 || location.offset !== blobAt(ids, n).offset) ordered = false;
      n += 1;
    }
    expect(n).toBe(COUNT);
    expect(ordered).toBe(true);
  });

  it('keeps the first location of a duplicate and counts it', () => {
    const again = randomId();
    const copies = [0, 1, 2].map((i) => ({ ...blobAt(ids, i), offset: 7 }));
    index.addPack(again, copies);
    expect(index.duplicates).toBe(3);
    expect(index.size).toBe(COUNT);
    expect(index.packCount).toBe(packIds.length + 1);
    expect(index.lookup(ids.subarray(0, 32))?.offset).toBe(blobAt(ids, 0).offset);
    expect(Buffer.compare(index.lookup(ids.subarray(0, 32))!.packId, packIds[0]!)).toBe(0);
    // The same pack added again: not a new pack, and all its blobs are duplicates.
    index.addPack(again, copies);
    expect(index.packCount).toBe(packIds.length + 1);
    expect(index.duplicates).toBe(6);
  });
});

describe('createBlobIndex', () => {
  it('counts a duplicate within one pack and indexes the rest', () => {
    const index = createBlobIndex();
    const blob = (id: Uint8Array, offset: number): PackedBlob => ({ id, type: 'data', offset, length: 1, rawLength: 1, codec: 'none' });
    index.addPack(fixedId(9), [blob(fixedId(1), 0), blob(fixedId(1), 5), blob(fixedId(2), 10)]);
    expect(index.size).toBe(2);
    expect(index.duplicates).toBe(1);
    expect(index.lookup(fixedId(1))?.offset).toBe(0);
    expect(index.lookup(fixedId(2))?.offset).toBe(10);
  });

  it('hands out copies of pack ids', () => {
    const index = createBlobIndex();
    index.addPack(fixedId(9), [{ id: fixedId(1), type: 'tree', offset: 0, length: 1, rawLength: 1, codec: 'none' }]);
    const [copy] = index.packIds();
    copy!.fill(0);
    expect(index.packIds()[0]).toEqual(fixedId(9));
    expect(index.lookup(fixedId(1))?.packId).toEqual(fixedId(9));
  });

  it('refuses bad arguments without indexing part of the pack', () => {
    const index = createBlobIndex();
    const good: PackedBlob = { id: fixedId(1), type: 'data', offset: 0, length: 1, rawLength: 1, codec: 'none' };
    expect(() => index.addPack(new Uint8Array(31), [good])).toThrow(/packId must be a 32-byte id, not 31 bytes/);
    expect(() => index.addPack(fixedId(9), [good, { ...good, id: fixedId(2), offset: 2 ** 32 }])).toThrow(RangeError);
    expect(() => index.addPack(fixedId(9), [good, { ...good, id: fixedId(2), codec: 'lz4' as 'none' }])).toThrow(/"lz4"/);
    expect(index.size).toBe(0);
    expect(index.packCount).toBe(0);
    expect(() => index.lookup(new Uint8Array(3))).toThrow(TypeError);
  });
});

describe('lookup', () => {
  it('gives locations of one shape whatever their codec (readers of them stay optimized): the fields that do not apply are undefined', () => {
    const index = createBlobIndex();
    const ids = [randomId(), randomId(), randomId(), randomId()];
    index.addPack(fixedId(1), [
      { id: ids[0]!, type: 'tree', offset: 0, length: 10, rawLength: 10, codec: 'none' },
      { id: ids[1]!, type: 'data', offset: 10, length: 10, rawLength: 30, codec: 'zstd' },
      { id: ids[2]!, type: 'data', offset: 20, length: 10, rawLength: 30, codec: 'delta', base: ids[1]! },
      { id: ids[3]!, type: 'data', offset: 30, length: 10, rawLength: 4, codec: 'group', groupAt: 2, groupRaw: 8 },
    ]);
    const locations = ids.map((id) => index.lookup(id)!);
    expect(locations.map((location) => location.codec)).toEqual(['none', 'zstd', 'delta', 'group']);
    for (const location of locations) expect(Object.keys(location)).toEqual(['packId', 'type', 'offset', 'length', 'rawLength', 'codec', 'base', 'groupAt', 'groupRaw']);
    expect(locations[0]).toMatchObject({ base: undefined, groupAt: undefined, groupRaw: undefined });
    expect(locations[2]!.base).toEqual(ids[1]);
    expect(locations[3]).toMatchObject({ base: undefined, groupAt: 2, groupRaw: 8 });
  });
});
