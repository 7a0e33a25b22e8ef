import { describe, expect, it } from 'vitest';
import { createPackBuilder, decodeBlob, decodePack, encodeBlob, encodeDelta } from '@cairn/pack';
import { loadNativeZstd } from '../src/zstd-native.js';
import { loadWasmZstd } from '../src/zstd-wasm.js';
import { expectCairnError, pseudoRandomBytes, sameBytes } from './helpers.js';

const BASE_ID = new Uint8Array(32).fill(7);

/** `base` with a few bytes changed in place. */
function edited(base: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(base);
  copy.set(new TextEncoder().encode('an edit'), at);
  return copy;
}

describe('delta blobs (a zstd frame with a base blob as raw-content dictionary)', () => {
  it('the native codec writes a delta far smaller than the plain frame, reads it back with the base, and fails with another base', async () => {
    const zstd = await loadNativeZstd();
    // 6 MiB of incompressible bytes: the whole base must stay within reach of the frame's window.
    const base = pseudoRandomBytes(6 * 1024 * 1024, 3);
    const raw = edited(base, 100);
    const plain = encodeBlob(raw, zstd, 3, { probe: true });
    const delta = encodeDelta(raw, base, BASE_ID, plain, zstd, 3)!;
    expect(delta).not.toBeNull();
    expect(delta.codec).toBe('delta');
    expect(delta.base).toEqual(BASE_ID);
    expect(delta.data.length).toBeLessThan(64 * 1024);
    expect(sameBytes(decodeBlob(delta.data, 'delta', raw.length, zstd, 'blob', undefined, base), raw)).toBe(true);
    const into = new Uint8Array(raw.length);
    expect(sameBytes(decodeBlob(delta.data, 'delta', raw.length, zstd, 'blob', into, base), raw)).toBe(true);
    expectCairnError(() => decodeBlob(delta.data, 'delta', raw.length, zstd, 'blob d'), 'ERR_INTEGRITY', /blob d: a delta blob was read without its base/);
    const wrong = pseudoRandomBytes(6 * 1024 * 1024, 4);
    // Another base decodes to other bytes (the blob id check then refuses them).
    expect(sameBytes(decodeBlob(delta.data, 'delta', raw.length, zstd, 'blob', undefined, wrong), raw)).toBe(false);
  });

  it('keeps no delta that is not clearly smaller, nor one against a base that looks like a zstd dictionary', async () => {
    const zstd = await loadNativeZstd();
    const raw = pseudoRandomBytes(100_000, 5);
    const unrelated = pseudoRandomBytes(100_000, 6);
    expect(encodeDelta(raw, unrelated, BASE_ID, encodeBlob(raw, zstd, 3), zstd, 3)).toBeNull();
    const dictionaryLike = new Uint8Array(raw);
    dictionaryLike.set([0x37, 0xa4, 0x30, 0xec], 0);
    expect(encodeDelta(edited(dictionaryLike, 500), dictionaryLike, BASE_ID, encodeBlob(raw, zstd, 3), zstd, 3)).toBeNull();
  });

  it('the WASM fallback writes no delta and refuses to read one, saying to install the native zstd', async () => {
    const native = await loadNativeZstd();
    const wasm = await loadWasmZstd();
    expect(wasm.compressWithBase).toBeUndefined();
    const base = pseudoRandomBytes(50_000, 7);
    const raw = edited(base, 10);
    expect(encodeDelta(raw, base, BASE_ID, encodeBlob(raw, wasm, 3), wasm, 3)).toBeNull();
    const delta = encodeDelta(raw, base, BASE_ID, encodeBlob(raw, native, 3), native, 3)!;
    const error = expectCairnError(() => decodeBlob(delta.data, 'delta', raw.length, wasm, 'data blob 12', undefined, base), 'ERR_UNSUPPORTED', /data blob 12 is a delta blob, which the zstd-codec codec cannot read/);
    expect(error.hint).toMatch(/zstd-napi/);
  });

  it('a pack holding a delta has a header of version 2 whose delta entry names its base; tree deltas and deltas without a base are refused', async () => {
    const zstd = await loadNativeZstd();
    const base = pseudoRandomBytes(50_000, 8);
    const raw = edited(base, 10);
    const delta = encodeDelta(raw, base, BASE_ID, encodeBlob(raw, zstd, 3), zstd, 3)!;
    const builder = createPackBuilder();
    builder.add(new Uint8Array(32).fill(1), 'data', encodeBlob(base, zstd, 3));
    builder.add(new Uint8Array(32).fill(2), 'data', delta);
    expect(() => builder.add(new Uint8Array(32).fill(3), 'tree', delta)).toThrow(TypeError);
    expect(() => builder.add(new Uint8Array(32).fill(3), 'data', { ...delta, base: undefined } as never)).toThrow(TypeError);
    const pack = builder.finish();
    const bytes = new Uint8Array(Buffer.concat(pack.parts));
    const blobs = decodePack(bytes, 'pack d');
    expect(blobs[0]!.base).toBeUndefined();
    expect(blobs[1]).toMatchObject({ codec: 'delta', base: BASE_ID, rawLength: raw.length });
  });
});
