import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError, toHex } from '@cairn/core';
import type { PackedBlob } from '@cairn/core';
import { addIndexFile, createBlobIndex, decodeIndexFile, encodeIndexFile, readIndexFileEntries, scanIndexFile, ScanMiss } from '@cairn/index';
import type { IndexPack } from '@cairn/index';
import { fixedId, packr, randomId } from './helpers.js';

const WHERE = 'index/ab12cd';
const FIXTURES = join(import.meta.dirname, '../../../fixtures');

/** What an index holds after loading `bytes`, or the error loading gave: comparable with toEqual. */
function load(bytes: Uint8Array, fast: boolean): unknown {
  const index = createBlobIndex();
  try {
    if (fast) {
      // Reserving exactly what the file holds, as opening a repository does, must change nothing.
      const entries = readIndexFileEntries(bytes, WHERE);
      index.reserve(entries.blobCount);
      entries.addTo(index);
    }
    else for (const pack of decodeIndexFile(bytes, WHERE)) index.addPack(pack.id, pack.blobs);
  } catch (error) {
    const e = error as Error;
    return { error: e.constructor.name, code: error instanceof CairnError ? error.code : undefined, message: e.message };
  }
  return {
    size: index.size,
    duplicates: index.duplicates,
    packs: index.packIds().map(toHex),
    entries: [...index.entries()].map(([id, at]) => [toHex(id), toHex(at.packId), at.type, at.offset, at.length, at.rawLength, at.codec, at.base === undefined ? null : toHex(at.base)]),
  };
}

/** Asserts the fast path and the full decoder agree on `bytes`; returns whether the scanner read them itself. */
function agree(bytes: Uint8Array): boolean {
  expect(load(bytes, true)).toEqual(load(bytes, false));
  try {
    scanIndexFile(bytes);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(ScanMiss);
    return false;
  }
}

function randomPacks(packCount: number, blobsPerPack: number): IndexPack[] {
  return Array.from({ length: packCount }, (_, p) => ({
    id: randomId(),
    blobs: Array.from({ length: blobsPerPack + (p % 3) * 7 }, (_, b): PackedBlob => ({
      id: randomId(),
      type: b % 5 === 0 ? 'tree' : 'data',
      offset: b * 70_000 + p,
      length: [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1][b % 9]!,
      rawLength: b * 1000,
      codec: b % 2 === 0 ? 'zstd' : 'none',
    })),
  }));
}

const entry = (): unknown[] => [0, fixedId(1), 0, 10, 20, 1];
const craft = (blobs: unknown[], pack: Record<string, unknown> = {}, root: Record<string, unknown> = {}): Uint8Array =>
  packr.pack({ v: 1, packs: [{ id: fixedId(0xaa), blobs, ...pack }], ...root });

describe('the index-file scanner', () => {
  it('reads delta entries (version 2, the base last) as the full decoder does; a file without deltas stays version 1', () => {
    const base = randomId();
    const packs: IndexPack[] = [{ id: randomId(), blobs: [
      { id: base, type: 'data', offset: 0, length: 50, rawLength: 90, codec: 'zstd' },
      { id: randomId(), type: 'data', offset: 50, length: 7, rawLength: 90, codec: 'delta', base },
      { id: randomId(), type: 'tree', offset: 57, length: 20, rawLength: 20, codec: 'none' },
    ] }];
    const bytes = encodeIndexFile(packs);
    expect((packr.unpack(bytes) as { v: number }).v).toBe(2);
    expect(agree(bytes)).toBe(true);
    const index = createBlobIndex();
    addIndexFile(index, bytes, WHERE);
    expect(toHex(index.lookup(packs[0]!.blobs[1]!.id)!.base!)).toBe(toHex(base));
    expect(index.lookup(base)!.base).toBeUndefined();
    expect(decodeIndexFile(bytes, WHERE)[0]!.blobs[1]).toEqual(packs[0]!.blobs[1]);
    expect((packr.unpack(encodeIndexFile([{ id: randomId(), blobs: [packs[0]!.blobs[0]!] }])) as { v: number }).v).toBe(1);
    // A delta entry in a version-1 file, or one without its base, is refused.
    const v1 = packr.pack({ v: 1, packs: [{ id: randomId(), blobs: [[0, randomId(), 0, 7, 90, 2, base]] }] });
    expect(load(v1, false)).toMatchObject({ code: 'ERR_FORMAT' });
    const noBase = packr.pack({ v: 2, packs: [{ id: randomId(), blobs: [[0, randomId(), 0, 7, 90, 2]] }] });
    expect(load(noBase, false)).toMatchObject({ code: 'ERR_FORMAT', message: expect.stringContaining('a delta without its base') });
    expect(agree(noBase)).toBe(false);
  });

  it('reads group members (version 3: the group frame\'s offset and length, then groupAt and groupRaw) as the full decoder does', () => {
    const member = (offset: number, groupAt: number, rawLength: number): IndexPack['blobs'][number] =>
      ({ id: randomId(), type: 'data', offset, length: 300, rawLength, codec: 'group', groupAt, groupRaw: 900 });
    const packs: IndexPack[] = [{ id: randomId(), blobs: [
      { id: randomId(), type: 'data', offset: 0, length: 50, rawLength: 90, codec: 'zstd' },
      member(50, 0, 400), member(50, 400, 500),
      { id: randomId(), type: 'data', offset: 350, length: 7, rawLength: 90, codec: 'delta', base: randomId() },
    ] }];
    const bytes = encodeIndexFile(packs);
    expect((packr.unpack(bytes) as { v: number }).v).toBe(3);
    expect(agree(bytes)).toBe(true);
    const index = createBlobIndex();
    addIndexFile(index, bytes, WHERE);
    expect(index.lookup(packs[0]!.blobs[2]!.id)).toMatchObject({ codec: 'group', offset: 50, length: 300, rawLength: 500, groupAt: 400, groupRaw: 900 });
    expect(index.lookup(packs[0]!.blobs[0]!.id)!.groupAt).toBeUndefined();
    expect(decodeIndexFile(bytes, WHERE)[0]!.blobs[1]).toEqual(packs[0]!.blobs[1]);
    // A member in a file before version 3, one without its group fields, or one outside its group is refused.
    const v2 = packr.pack({ v: 2, packs: [{ id: randomId(), blobs: [[0, randomId(), 0, 7, 90, 3, 0, 90]] }] });
    expect(load(v2, false)).toMatchObject({ code: 'ERR_FORMAT' });
    const bare = packr.pack({ v: 3, packs: [{ id: randomId(), blobs: [[0, randomId(), 0, 7, 90, 3]] }] });
    expect(load(bare, false)).toMatchObject({ code: 'ERR_FORMAT', message: expect.stringContaining('a group member without groupAt and groupRaw') });
    const outside = packr.pack({ v: 3, packs: [{ id: randomId(), blobs: [[0, randomId(), 0, 7, 90, 3, 20, 100]] }] });
    expect(load(outside, false)).toMatchObject({ code: 'ERR_FORMAT', message: expect.stringContaining('lies outside its group') });
    expect(agree(outside)).toBe(false);
  });

  it('reads what encodeIndexFile writes, as the full decoder does (large arrays and every integer width)', () => {
    for (const packs of [[], randomPacks(1, 0), randomPacks(3, 20), randomPacks(20, 300)]) {
      expect(agree(encodeIndexFile(packs))).toBe(true);
    }
  });

  it('agrees with the full decoder on the golden repositories\' index files', () => {
    let files = 0;
    // The encrypted golden repository's index files are sealed: the engine opens them before they are scanned.
    for (const golden of readdirSync(FIXTURES).filter((name) => name.startsWith('golden-') && name !== 'golden-encrypted')) {
      const folder = join(FIXTURES, golden, 'repo', 'index');
      for (const name of readdirSync(folder)) {
        expect(agree(new Uint8Array(readFileSync(join(folder, name))))).toBe(true);
        files += 1;
      }
    }
    expect(files).toBeGreaterThanOrEqual(3);
  });

  it('adds to an index that already holds blobs, after reserving room, as addPack does', () => {
    const first = randomPacks(4, 200);
    const second = [...randomPacks(3, 100), first[1]!];
    const viaPacks = createBlobIndex();
    for (const pack of [...first, ...second]) viaPacks.addPack(pack.id, pack.blobs);
    const viaFiles = createBlobIndex();
    addIndexFile(viaFiles, encodeIndexFile(first), WHERE);
    const entries = readIndexFileEntries(encodeIndexFile(second), WHERE);
    expect(entries.blobCount).toBe(second.reduce((sum, pack) => sum + pack.blobs.length, 0));
    viaFiles.reserve(entries.blobCount);
    entries.addTo(viaFiles);
    expect([...viaFiles.entries()]).toEqual([...viaPacks.entries()]);
    expect(viaFiles.duplicates).toBe(viaPacks.duplicates);
    expect(viaFiles.packIds()).toEqual(viaPacks.packIds());
  });

  it('counts duplicates and shared packs as addPack does', () => {
    const [pack] = randomPacks(1, 10);
    const twice = { id: pack!.id, blobs: [...pack!.blobs, pack!.blobs[3]!] };
    expect(agree(encodeIndexFile([pack!, twice]))).toBe(true);
  });

  it('gives the same error at every truncated length, and adds nothing', () => {
    const bytes = encodeIndexFile(randomPacks(3, 4));
    for (let length = 0; length < bytes.length; length += 1) agree(bytes.subarray(0, length));
    const index = createBlobIndex();
    expect(() => addIndexFile(index, bytes.subarray(0, bytes.length - 40), WHERE)).toThrow(/truncated/);
    expect(index.size).toBe(0);
  });

  it('gives the same errors for wrong types', () => {
    const cases: unknown[][] = [
      ['data', fixedId(1), 0, 10, 20, 1],
      [2, fixedId(1), 0, 10, 20, 1],
      [-1, fixedId(1), 0, 10, 20, 1],
      [0, fixedId(1).subarray(1), 0, 10, 20, 1],
      [0, 'id', 0, 10, 20, 1],
      [0, fixedId(1), -5, 10, 20, 1],
      [0, fixedId(1), 1.5, 10, 20, 1],
      [0, fixedId(1), 0, null, 20, 1],
      [0, fixedId(1), 0, 10, '20', 1],
      [0, fixedId(1), 0, 10, 20, 2],
      [0, fixedId(1), 0, 10, 20, true],
    ];
    for (const bad of cases) expect(agree(craft([entry(), bad]))).toBe(false);
    expect(agree(packr.pack({ v: 1, packs: [{ id: 'x', blobs: [] }] }))).toBe(false);
    expect(agree(packr.pack({ v: 1, packs: {} }))).toBe(false);
    expect(agree(packr.pack({ v: 1, packs: [[]] }))).toBe(false);
    expect(agree(packr.pack([1, []]))).toBe(false);
    expect(agree(packr.pack({ v: 'one', packs: [] }))).toBe(false);
  });

  it('gives the same errors for missing and extra fields', () => {
    expect(agree(craft([[...entry(), 0]]))).toBe(false);
    expect(agree(craft([entry().slice(0, 5)]))).toBe(false);
    expect(agree(craft([entry()], { extra: 1 }))).toBe(false);
    expect(agree(craft([entry()], {}, { extra: 1 }))).toBe(false);
    expect(agree(packr.pack({ v: 1 }))).toBe(false);
    expect(agree(packr.pack({ v: 1, packs: [{ id: fixedId(1) }] }))).toBe(false);
    // Trailing bytes after the file's value.
    const good = encodeIndexFile(randomPacks(1, 2));
    expect(agree(new Uint8Array([...good, 0xc0]))).toBe(false);
  });

  it('gives ERR_VERSION for another version, as the full decoder does', () => {
    for (const v of [0, 4, 99, 2 ** 40]) {
      const bytes = packr.pack({ v, packs: [] });
      expect(agree(bytes)).toBe(false);
      expect(load(bytes, true)).toMatchObject({ code: 'ERR_VERSION' });
    }
  });

  it('leaves what it does not read itself to the full decoder: keys in another order, large offsets, other integer encodings', () => {
    expect(agree(packr.pack({ packs: [{ blobs: [entry()], id: fixedId(0xaa) }], v: 1 }))).toBe(false);
    // Offsets past 32 bits decode, and addPack refuses them (RangeError) on either path.
    expect(agree(craft([[0, fixedId(1), 2n ** 40n, 10, 20, 1]]))).toBe(false);
    // A non-negative int8 and a uint64 small enough are read like any integer.
    const crafted = craft([entry()]);
    const int8 = new Uint8Array([...crafted.subarray(0, crafted.length - 1), 0xd0, 0x01]);
    expect(agree(int8)).toBe(true);
  });
});
