import { describe, expect, it } from 'vitest';
import type { BlobType } from '@cairn/core';
import { PACK_TRAILER_LENGTH, TARGET_PACK_SIZE, createPackBuilder, decodeBlob, decodePack, encodeBlob, encodeDelta } from '@cairn/pack';
import { PACK_MAGIC } from '../src/pack-trailer.js';
import { loadNativeZstd } from '../src/zstd-native.js';
import { loadWasmZstd } from '../src/zstd-wasm.js';
import { pseudoRandomBytes, sameBytes, sha256, sourceText } from './helpers.js';

const native = await loadNativeZstd();
const wasm = await loadWasmZstd();

const raws: [BlobType, Uint8Array][] = [
  ['data', sourceText(1_500_000, 1)],
  ['data', pseudoRandomBytes(700_000, 2)],
  ['tree', new TextEncoder().encode(JSON.stringify({ nodes: [{ name: 'a.txt', type: 'file' }] }).repeat(40))],
  ['tree', new TextEncoder().encode('{}')],
  ['data', sourceText(3_000_000, 3)],
];

function build() {
  const builder = createPackBuilder();
  for (const [type, raw] of raws) builder.add(sha256(raw), type, encodeBlob(raw, native, 3));
  return { builder, pack: builder.finish() };
}

describe('createPackBuilder', () => {
  const { builder, pack } = build();
  const bytes = new Uint8Array(Buffer.concat(pack.parts));

  it('lays out blobs, header and trailer, and names the pack by the SHA-256 of all of it', () => {
    expect(pack.size).toBe(bytes.length);
    expect(pack.id).toEqual(sha256(bytes));
    expect(Buffer.from(bytes.subarray(-8)).toString('latin1')).toBe(PACK_MAGIC);
    const headerLength = new DataView(bytes.buffer, bytes.length - PACK_TRAILER_LENGTH).getUint32(0, true);
    const blobBytes = pack.blobs.reduce((sum, blob) => sum + blob.length, 0);
    expect(blobBytes + headerLength + PACK_TRAILER_LENGTH).toBe(pack.size);
    expect(builder.count).toBe(raws.length);
    expect(builder.size).toBe(blobBytes);
    expect(TARGET_PACK_SIZE).toBe(16 * 1024 * 1024);
  });

  it('round-trips data and tree blobs: compressible ones as zstd, random and tiny ones as they are', () => {
    const decoded = decodePack(bytes, 'pack under test');
    expect(decoded).toEqual(pack.blobs);
    expect(decoded.map((blob) => [blob.type, blob.codec])).toEqual([
      ['data', 'zstd'],
      ['data', 'none'],
      ['tree', 'zstd'],
      ['tree', 'none'],
      ['data', 'zstd'],
    ]);
    let offset = 0;
    for (const [i, blob] of decoded.entries()) {
      const [type, raw] = raws[i]!;
      expect(blob.type).toBe(type);
      expect(blob.offset).toBe(offset);
      expect(blob.rawLength).toBe(raw.length);
      expect(blob.id).toEqual(sha256(raw));
      const stored = bytes.subarray(blob.offset, blob.offset + blob.length);
      // A pack written with the native codec reads back with the WASM one.
      expect(sameBytes(decodeBlob(stored, blob.codec, blob.rawLength, wasm, `blob ${i}`), raw)).toBe(true);
      offset += blob.length;
    }
  });

  it('gives the same pack for the same blobs (deterministic bytes and id)', () => {
    expect(build().pack.id).toEqual(pack.id);
  });

  it('copies ids, so a caller reusing its id buffer does not change the pack', () => {
    const other = createPackBuilder();
    const id = new Uint8Array(32).fill(1);
    other.add(id, 'data', encodeBlob(new Uint8Array(5), null, 3));
    id.fill(2);
    expect(other.finish().blobs[0]!.id).toEqual(new Uint8Array(32).fill(1));
  });

  it('keeps its entries\' ids in shared slabs, not an ArrayBuffer each, and each id its own bytes', () => {
    const many = createPackBuilder();
    const id = new Uint8Array(32);
    for (let i = 0; i < 200; i += 1) {
      id.fill(i);
      many.add(id, 'data', encodeBlob(new Uint8Array([i]), null, 3));
    }
    const id0 = new Uint8Array(32).fill(7);
    many.addGroup(new Uint8Array(10), 4, [{ id: id0, at: 0, rawLength: 2 }, { id: id0.map((b) => b + 1), at: 2, rawLength: 2 }]);
    const { blobs } = many.finish();
    // 202 ids: four slabs of 64 (an id per ArrayBuffer was ~200 bytes more each, held until the index file).
    expect(new Set(blobs.map((blob) => blob.id.buffer)).size).toBe(4);
    blobs.slice(0, 200).forEach((blob, i) => expect(blob.id).toEqual(new Uint8Array(32).fill(i)));
    expect(blobs[200]!.id).toEqual(new Uint8Array(32).fill(7));
    expect(blobs[201]!.id).toEqual(new Uint8Array(32).fill(8));
  });

  it('finds a blob stored whole by its id, with its stored bytes, before and after finish, in its own buffer or not; not a delta or a group member', () => {
    const base = sourceText(600_000, 7);
    const near = base.slice();
    near[1000] = near[1000]! ^ 1;
    for (const storage of [undefined, new Uint8Array(1 << 20)]) {
      const builder = createPackBuilder(storage === undefined ? {} : { storage });
      const ids = raws.map(([, raw]) => sha256(raw));
      raws.forEach(([type, raw], i) => builder.add(ids[i]!, type, encodeBlob(raw, native, 3)));
      const delta = encodeDelta(near, base, ids[0]!, encodeBlob(near, native, 3), native, 3);
      expect(delta?.codec).toBe('delta');
      builder.add(sha256(near), 'data', delta!);
      builder.addGroup(native.compress(base, 3), base.length, [{ id: sha256(base), at: 0, rawLength: base.length }]);
      const check = (): void => {
        raws.forEach(([, raw], i) => {
          const found = builder.stored(ids[i]!);
          expect(found?.blob.rawLength).toBe(raw.length);
          expect(sameBytes(decodeBlob(found!.data, found!.blob.codec, raw.length, native, `blob ${i}`), raw)).toBe(true);
        });
        expect(builder.stored(sha256(near))).toBeUndefined();
        expect(builder.stored(sha256(base))).toBeUndefined();
        expect(builder.stored(sha256(new Uint8Array(3)))).toBeUndefined();
      };
      check();
      builder.finish();
      check();
    }
  });

  it('writes a valid pack with no blobs', () => {
    const empty = createPackBuilder().finish();
    expect(decodePack(new Uint8Array(Buffer.concat(empty.parts)), 'empty pack')).toEqual([]);
  });

  it('rejects bad blobs and use after finish', () => {
    const other = createPackBuilder();
    const blob = encodeBlob(new Uint8Array(10), null, 3);
    expect(() => other.add(new Uint8Array(31), 'data', blob)).toThrow(TypeError);
    expect(() => other.add(new Uint8Array(32), 'file' as BlobType, blob)).toThrow(TypeError);
    expect(() => other.add(new Uint8Array(32), 'data', { ...blob, codec: 'gzip' as 'none' })).toThrow(TypeError);
    expect(() => other.add(new Uint8Array(32), 'data', { ...blob, rawLength: 11 })).toThrow(RangeError);
    expect(other.count).toBe(0);
    other.finish();
    expect(() => other.add(new Uint8Array(32), 'data', blob)).toThrow(TypeError);
    expect(() => other.finish()).toThrow(TypeError);
  });
});

describe('a pack builder that spills (a pack written as it is built)', () => {
  it('hands over its bytes in order: the spills and finish give the same pack, with the same id, as one built whole', () => {
    const whole = build().pack;
    const spills: Uint8Array[] = [];
    const readSpilled = (offset: number, length: number): Uint8Array => new Uint8Array(Buffer.concat(spills)).slice(offset, offset + length);
    const builder = createPackBuilder({ storage: new Uint8Array(1024), readSpilled });
    for (const [i, [type, raw]] of raws.entries()) {
      builder.add(sha256(raw), type, encodeBlob(raw, native, 3));
      if (i % 2 === 0) {
        const before = builder.size;
        spills.push(builder.spill(new Uint8Array(1024)).slice());
        expect(builder.spilled).toBe(before);
      }
    }
    // A blob spilled long ago is read back through readSpilled, one in storage from it.
    for (const [type, raw] of raws) {
      const found = builder.stored(sha256(raw))!;
      expect(found.blob.type).toBe(type);
      expect(sameBytes(decodeBlob(found.data, found.blob.codec, raw.length, native, "a spilled blob"), raw)).toBe(true);
    }
    const pack = builder.finish();
    expect(Buffer.from(pack.id).toString('hex')).toBe(Buffer.from(whole.id).toString('hex'));
    expect(sameBytes(new Uint8Array(Buffer.concat([...spills, ...pack.parts])), new Uint8Array(Buffer.concat(whole.parts)))).toBe(true);
    expect(pack.size).toBe(whole.size);
  });

  it('without readSpilled finds only what it still holds; a builder without storage cannot spill', () => {
    const builder = createPackBuilder({ storage: new Uint8Array(16) });
    const [[type, first], [, second]] = [raws[3]!, raws[2]!];
    builder.add(sha256(first), type, encodeBlob(first, native, 3));
    builder.spill(new Uint8Array(16));
    builder.add(sha256(second), 'tree', encodeBlob(second, native, 3));
    expect(builder.stored(sha256(first))).toBeUndefined();
    expect(builder.stored(sha256(second))).toBeDefined();
    expect(() => createPackBuilder().spill(new Uint8Array(1))).toThrow(TypeError);
  });
});
