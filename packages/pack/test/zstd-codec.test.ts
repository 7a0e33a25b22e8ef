import { describe, expect, it } from 'vitest';
import { loadZstd } from '@cairn/pack';
import { loadNativeZstd } from '../src/zstd-native.js';
import { loadWasmZstd } from '../src/zstd-wasm.js';
import { expectCairnError, pseudoRandomBytes, sameBytes, sourceText } from './helpers.js';

const native = await loadNativeZstd();
const wasm = await loadWasmZstd();
const codecs = [native, wasm];
const text = sourceText(3 * 1024 * 1024 + 17, 1);

describe('zstd codecs', () => {
  it('load once: loadZstd prefers the native codec, both loaders cache', async () => {
    expect(native.name).toBe('zstd-napi');
    expect(wasm.name).toBe('zstd-codec');
    expect(await loadZstd()).toBe(await loadZstd());
    expect((await loadZstd()).name).toBe('zstd-napi');
    expect(await loadWasmZstd()).toBe(wasm);
  });

  it.each([
    [native, wasm],
    [wasm, native],
    [native, native],
    [wasm, wasm],
  ])('%s compresses what %s decompresses', (writer, reader) => {
    const frame = writer.compress(text, 3);
    expect(frame.length).toBeLessThan(text.length / 2);
    expect(sameBytes(reader.decompress(frame, text.length), text)).toBe(true);
  });

  it('round-trip an 8 MiB chunk at level 19 both ways (the WASM one within its 16 MiB heap)', () => {
    const chunk = sourceText(8 * 1024 * 1024, 2);
    for (const writer of codecs) {
      const frame = writer.compress(chunk, 19);
      for (const reader of codecs) expect(sameBytes(reader.decompress(frame, chunk.length), chunk)).toBe(true);
    }
  });

  it('round-trip empty and incompressible input', () => {
    const random = pseudoRandomBytes(300_000, 3);
    for (const writer of codecs) {
      for (const reader of codecs) {
        expect(reader.decompress(writer.compress(new Uint8Array(0), 3), 0)).toEqual(new Uint8Array(0));
        expect(sameBytes(reader.decompress(writer.compress(random, 1), random.length), random)).toBe(true);
      }
    }
  });

  it('return plain Uint8Arrays', () => {
    for (const codec of codecs) {
      const frame = codec.compress(text, 3);
      expect(Buffer.isBuffer(frame)).toBe(false);
      expect(Buffer.isBuffer(codec.decompress(frame, text.length))).toBe(false);
    }
  });

  it('refuse a frame that holds fewer or more bytes than rawLength with ERR_INTEGRITY', () => {
    for (const writer of codecs) {
      const frame = writer.compress(text, 3);
      for (const reader of codecs) {
        expectCairnError(() => reader.decompress(frame, text.length - 1), 'ERR_INTEGRITY');
        expectCairnError(() => reader.decompress(frame, text.length + 1), 'ERR_INTEGRITY');
      }
    }
  });

  it('turn a corrupted frame into ERR_INTEGRITY', () => {
    const frame = native.compress(text, 3); // checksummed
    const flipped = new Uint8Array(frame);
    flipped[Math.floor(frame.length / 2)]! ^= 0x01;
    const truncated = frame.subarray(0, frame.length - 5);
    for (const reader of codecs) {
      expectCairnError(() => reader.decompress(flipped, text.length), 'ERR_INTEGRITY');
      expectCairnError(() => reader.decompress(truncated, text.length), 'ERR_INTEGRITY');
      expectCairnError(() => reader.decompress(text.subarray(0, 1000), 1000), 'ERR_INTEGRITY', /not a zstd frame/);
      expectCairnError(() => reader.decompress(new Uint8Array(0), 0), 'ERR_INTEGRITY', /not a zstd frame/);
    }
  });

  it('makes the WASM codec refuse a window it cannot hold, with ERR_UNSUPPORTED and a hint', () => {
    const chunk = sourceText(9 * 1024 * 1024, 4);
    const frame = new Uint8Array(native.compress(chunk, 3));
    expect(frame[4]! & 0x20).toBe(0); // not single-segment: byte 5 is the window descriptor
    frame[5] = 0xa8; // 2 GiB window
    const error = expectCairnError(() => wasm.decompress(frame, chunk.length), 'ERR_UNSUPPORTED', /window/);
    expect(error.hint).toMatch(/zstd-napi/);
    // The frame is otherwise sound: the native codec decodes it in one pass, needing no window.
    expect(sameBytes(native.decompress(frame, chunk.length), chunk)).toBe(true);
  });

  it('reject bad levels and lengths with RangeError', () => {
    for (const codec of codecs) {
      for (const level of [0, 20, 2.5, Number.NaN]) expect(() => codec.compress(text, level)).toThrow(RangeError);
      expect(() => codec.decompress(codec.compress(text, 3), -1)).toThrow(RangeError);
    }
  });
});
