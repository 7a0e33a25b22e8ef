import { describe, expect, it } from 'vitest';
import { decodeBlob, encodeBlob } from '@cairn/pack';
import { MIN_COMPRESSED_BLOB } from '../src/blob-codec.js';
import { loadNativeZstd } from '../src/zstd-native.js';
import { loadWasmZstd } from '../src/zstd-wasm.js';
import { expectCairnError, pseudoRandomBytes, sameBytes, sourceText } from './helpers.js';

const native = await loadNativeZstd();
const wasm = await loadWasmZstd();

describe('encodeBlob', () => {
  it('compresses compressible blobs with zstd', () => {
    const raw = sourceText(1_000_000, 5);
    for (const codec of [native, wasm]) {
      const blob = encodeBlob(raw, codec, 3);
      expect(blob.codec).toBe('zstd');
      expect(blob.rawLength).toBe(raw.length);
      expect(blob.data.length).toBeLessThan(raw.length / 2);
      expect(sameBytes(decodeBlob(blob.data, blob.codec, blob.rawLength, wasm, 'blob a'), raw)).toBe(true);
    }
  });

  it('stores incompressible, tiny and zstd-less blobs as they are', () => {
    const random = pseudoRandomBytes(500_000, 6);
    const text = sourceText(10_000, 7);
    const tiny = sourceText(MIN_COMPRESSED_BLOB - 1, 8);
    for (const [raw, zstd] of [[random, native], [random, wasm], [tiny, native], [text, null]] as const) {
      const blob = encodeBlob(raw, zstd, 3);
      expect(blob.codec).toBe('none');
      expect(blob.data).toBe(raw);
      expect(blob.rawLength).toBe(raw.length);
      expect(decodeBlob(blob.data, 'none', raw.length, native, 'blob b')).toBe(raw);
    }
    expect(encodeBlob(new Uint8Array(MIN_COMPRESSED_BLOB).fill(97), native, 3).codec).toBe('zstd');
    expect(encodeBlob(new Uint8Array(MIN_COMPRESSED_BLOB - 1).fill(97), native, 3).codec).toBe('none');
  });

  it('rejects a bad level even without zstd', () => {
    expect(() => encodeBlob(new Uint8Array(10), null, 0)).toThrow(RangeError);
    expect(() => encodeBlob(new Uint8Array(10), native, 22)).toThrow(RangeError);
  });
});

describe('decodeBlob', () => {
  const raw = sourceText(200_000, 9);
  const blob = encodeBlob(raw, native, 3);

  it('reads zstd blobs with either codec', () => {
    for (const codec of [native, wasm]) expect(sameBytes(decodeBlob(blob.data, 'zstd', raw.length, codec, 'x'), raw)).toBe(true);
  });

  it('gives ERR_INTEGRITY naming where for a flipped byte or a wrong length', () => {
    const flipped = new Uint8Array(blob.data);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x40;
    for (const codec of [native, wasm]) {
      expectCairnError(() => decodeBlob(flipped, 'zstd', raw.length, codec, 'blob 1f2e in pack 9a8b'), 'ERR_INTEGRITY', /^blob 1f2e in pack 9a8b: /);
      expectCairnError(() => decodeBlob(blob.data, 'zstd', raw.length + 1, codec, 'blob c'), 'ERR_INTEGRITY', /^blob c: /);
    }
    expectCairnError(() => decodeBlob(raw.subarray(1), 'none', raw.length, native, 'blob d'), 'ERR_INTEGRITY', /^blob d: .*199999 bytes, expected 200000/);
  });

  it('decodes into a given place (a view of a shared buffer too), with either codec and for stored blobs', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(raw.length + 200));
    for (const codec of [native, wasm]) {
      const into = shared.subarray(100, 100 + raw.length);
      into.fill(0);
      expect(decodeBlob(blob.data, 'zstd', raw.length, codec, 'x', into)).toBe(into);
      expect(sameBytes(into, raw)).toBe(true);
      expectCairnError(() => decodeBlob(blob.data, 'zstd', raw.length + 1, codec, 'blob f', shared.subarray(0, raw.length + 1)), 'ERR_INTEGRITY', /^blob f: /);
    }
    const plain = new Uint8Array(raw.length);
    expect(decodeBlob(raw, 'none', raw.length, native, 'y', plain)).toBe(plain);
    expect(sameBytes(plain, raw)).toBe(true);
    expect(() => decodeBlob(raw, 'none', raw.length, native, 'y', new Uint8Array(1))).toThrow(RangeError);
  });

  it('gives ERR_FORMAT for an unknown codec', () => {
    expectCairnError(() => decodeBlob(raw, 'lz4' as 'none', raw.length, native, 'blob e'), 'ERR_FORMAT', /^blob e: unknown codec "lz4"/);
  });
});
