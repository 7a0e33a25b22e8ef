import { describe, expect, it } from 'vitest';
import { createPackBuilder, encodeBlob, encodeBlobInto, encodeDelta } from '@cairn/pack';
import { loadNativeZstd } from '../src/zstd-native.js';
import { pseudoRandomBytes, sha256, sourceText } from './helpers.js';

// The hot loops that read these objects (the index's addPack, the blob writer's onPack and
// saveData) stay optimized only while the objects have one shape: the same fields in the same
// order. An object of a new shape, met after V8 optimized them, made it compile them again
// (the first delta or group member of a backup did). These tests fail on a field added only
// to some of them.

const zstd = await loadNativeZstd();

describe('objects of one shape whatever their codec', () => {
  it("the pack builder's entries: stored as is, zstd, a delta and group members", () => {
    const builder = createPackBuilder();
    const text = sourceText(200_000, 1);
    const random = pseudoRandomBytes(5_000, 2);
    const changed = new Uint8Array(text);
    changed[100]! ^= 1;
    builder.add(sha256(random), 'data', encodeBlob(random, zstd, 3));
    builder.add(sha256(text), 'tree', encodeBlob(text, zstd, 3));
    const delta = encodeDelta(changed, text, sha256(text), () => encodeBlob(changed, zstd, 3), zstd, 3);
    expect(delta?.codec).toBe('delta');
    builder.add(sha256(changed), 'data', delta!);
    builder.addGroup(new Uint8Array(10), 4, [{ id: sha256(new Uint8Array([1, 2])), at: 0, rawLength: 2 }, { id: sha256(new Uint8Array([3, 4])), at: 2, rawLength: 2 }]);
    const blobs = builder.finish().blobs;
    expect(blobs.map((blob) => blob.codec)).toEqual(['none', 'zstd', 'delta', 'group', 'group']);
    for (const blob of blobs) expect(Object.keys(blob)).toEqual(Object.keys(blobs[0]!));
    // The fields that do not apply are there, undefined.
    expect(blobs[0]).toMatchObject({ base: undefined, groupAt: undefined, groupRaw: undefined });
    expect(Object.keys(blobs[0]!)).toEqual(['id', 'type', 'offset', 'length', 'rawLength', 'codec', 'base', 'groupAt', 'groupRaw']);
  });

  it('encoded blobs: as is, zstd (both encoders) and a delta', () => {
    const text = sourceText(200_000, 3);
    const changed = new Uint8Array(text);
    changed[7]! ^= 1;
    const encoded = [
      encodeBlob(new Uint8Array(10), zstd, 3),
      encodeBlob(text, zstd, 3),
      encodeBlobInto(text, zstd, 3, new Uint8Array(zstd.compressBound?.(text.length) ?? text.length + 1024)),
      encodeBlobInto(pseudoRandomBytes(1_000, 4), zstd, 3, new Uint8Array(2_000)),
      encodeDelta(changed, text, sha256(text), () => encodeBlob(changed, zstd, 3), zstd, 3)!,
    ];
    expect(encoded.map((blob) => blob.codec)).toEqual(['none', 'zstd', 'zstd', 'none', 'delta']);
    for (const blob of encoded) expect(Object.keys(blob)).toEqual(['codec', 'data', 'rawLength', 'base']);
  });
});
