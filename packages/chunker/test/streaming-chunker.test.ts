import { describe, expect, it } from 'vitest';
import fastcdc from 'fastcdc-wasm';
import { DEFAULT_CHUNKER_PARAMS, blobId, createChunker } from '@cairn/chunker';
import type { StreamingChunker } from '@cairn/chunker';
import { chunkStream } from '../src/chunk-stream.js';
import { toHex } from '@cairn/core';
import { chunkInPieces, concat, lengths, pseudoRandomBytes, sameBytes, seededRandom } from './helpers.js';

const MiB = 1024 * 1024;
const { min, avg, max } = DEFAULT_CHUNKER_PARAMS;
const input = pseudoRandomBytes(40_000_000, 42);

// What one fastcdc pass over the whole input cuts: the reference for every way of feeding it.
function referenceLengths(data: Uint8Array): number[] {
  const offsets = fastcdc.get_chunks(new Uint8Array(data), min, avg, max);
  return Array.from(offsets.subarray(1), (end, i) => end - offsets[i]!);
}

describe('createChunker', () => {
  const whole = chunkInPieces(createChunker(), input, () => input.length);
  const expected = referenceLengths(input);

  it('cuts like one fastcdc pass over the whole input', () => {
    expect(expected.length).toBeGreaterThan(20);
    expect(lengths(whole)).toEqual(expected);
  });

  it.each([
    ['64 KiB', () => 64 * 1024],
    ['8 MiB', () => 8 * MiB],
    ['20 MiB (larger than the window)', () => 20 * MiB],
    ['1 byte, then large', (() => { let first = true; return () => (first ? ((first = false), 1) : 9 * MiB + 7); })()],
  ])('finds the same boundaries when fed in %s pieces', (_name, nextSize) => {
    expect(lengths(chunkInPieces(createChunker(), input, nextSize))).toEqual(expected);
  });

  it('finds the same boundaries when fed in random-sized pieces, empty ones included', () => {
    const rng = seededRandom(7);
    const sizes = [0, 1, 100, 4096, 300_000, 2 * MiB, 17 * MiB];
    const chunks = chunkInPieces(createChunker(), input, () => sizes[rng.next() % sizes.length]! + (rng.next() % 1000));
    expect(lengths(chunks)).toEqual(expected);
  });

  it('returns chunks that concatenate to the input, each but the last within [min, max]', () => {
    expect(sameBytes(concat(whole), input)).toBe(true);
    for (const chunk of whole.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(min);
      expect(chunk.length).toBeLessThanOrEqual(max);
    }
    expect(whole.at(-1)!.length).toBeGreaterThan(0);
  });

  it('hands out chunks it never overwrites, even when they came from a reused input buffer', () => {
    const chunker = createChunker();
    const piece = new Uint8Array(MiB);
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < input.length; offset += piece.length) {
      const part = input.subarray(offset, offset + piece.length);
      piece.set(part);
      chunks.push(...chunker.push(piece.subarray(0, part.length)));
      piece.fill(0xee);
    }
    chunks.push(...chunker.finish());
    expect(sameBytes(concat(chunks), input)).toBe(true);
  });

  it('changes only the chunks around a 1-byte edit (dedup)', () => {
    const edited = new Uint8Array(input);
    edited[20_000_000]! ^= 0xff;
    const before = new Set(whole.map((chunk) => toHex(blobId(chunk))));
    const after = chunkInPieces(createChunker(), edited, () => 3 * MiB).map((chunk) => toHex(blobId(chunk)));
    const changed = after.filter((id) => !before.has(id));
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed.length).toBeLessThanOrEqual(2);
    expect(after.length - changed.length).toBeGreaterThanOrEqual(whole.length - 3);
  });

  it('gives no chunk for empty input', () => {
    const chunker = createChunker();
    expect(chunker.push(new Uint8Array(0))).toEqual([]);
    expect(chunker.finish()).toEqual([]);
  });

  it('gives one chunk, equal to the input, for input shorter than min', () => {
    const small = pseudoRandomBytes(min - 1, 3);
    const chunker = createChunker();
    expect(chunker.push(small.subarray(0, 1000))).toEqual([]);
    expect(chunker.push(small.subarray(1000))).toEqual([]);
    const chunks = chunker.finish();
    expect(chunks.length).toBe(1);
    expect(sameBytes(chunks[0]!, small)).toBe(true);
  });

  it('is ready for a new stream after finish', () => {
    const chunker = createChunker();
    const first = chunkInPieces(chunker, input, () => 5 * MiB);
    const second = chunkInPieces(chunker, input.subarray(0, 3 * MiB), () => MiB);
    expect(lengths(first)).toEqual(expected);
    expect(lengths(second)).toEqual(referenceLengths(input.subarray(0, 3 * MiB)));
  });

  it('honours small custom params across many window refills', () => {
    const params = { min: 64, avg: 256, max: 1024 };
    const data = input.subarray(0, 20 * MiB);
    const chunks = chunkInPieces(createChunker(params), data, () => 333_333);
    const offsets = fastcdc.get_chunks(new Uint8Array(data), params.min, params.avg, params.max);
    expect(chunks.length).toBe(offsets.length - 1);
    expect(sameBytes(concat(chunks), data)).toBe(true);
    expect(Math.max(...lengths(chunks))).toBeLessThanOrEqual(1024);
  });

  it('rejects bad params with a RangeError naming the value', () => {
    expect(() => createChunker({ min: 32, avg: 256, max: 1024 })).toThrow(/min.*32/);
    expect(() => createChunker({ min: 64, avg: 100, max: 1024 })).toThrow(RangeError);
  });
});

describe('chunkStream', () => {
  it('yields the same chunks as createChunker from an async source', async () => {
    const data = input.subarray(0, 12 * MiB);
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let offset = 0; offset < data.length; offset += 1_000_003) yield data.subarray(offset, offset + 1_000_003);
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of chunkStream(source())) chunks.push(chunk);
    expect(lengths(chunks)).toEqual(referenceLengths(data));
    expect(sameBytes(concat(chunks), data)).toBe(true);
  });
});

describe('createChunker with views', () => {
  it.each([
    ['4 MiB pieces', 4 * MiB],
    ['20 MiB pieces (larger than the window)', 20 * MiB],
  ])('gives the same chunks as copies when each is used before the next call (%s)', (_name, piece) => {
    const chunker = createChunker(DEFAULT_CHUNKER_PARAMS, { views: true });
    const ids: string[] = [];
    for (let at = 0; at < input.length; at += piece) {
      for (const chunk of chunker.push(input.subarray(at, at + piece))) ids.push(toHex(blobId(chunk)));
    }
    for (const chunk of chunker.finish()) ids.push(toHex(blobId(chunk)));
    const copies = chunkInPieces(createChunker(), input, () => piece).map((chunk) => toHex(blobId(chunk)));
    expect(ids).toEqual(copies);
    expect(new Set(ids).size).toBeGreaterThan(20);
  });
});

describe('createChunker memory', () => {
  it('holds one window of max + 4 MiB, in the WASM memory fastcdc cuts it in, and, fed 4 MiB pieces, returns views of it, never copies', () => {
    const chunker = createChunker(DEFAULT_CHUNKER_PARAMS, { views: true });
    const buffers = new Set<ArrayBufferLike>();
    let chunks = 0;
    for (let at = 0; at < input.length; at += 4 * MiB) {
      for (const chunk of chunker.push(input.subarray(at, at + 4 * MiB))) {
        buffers.add(chunk.buffer);
        chunks += 1;
      }
    }
    for (const chunk of chunker.finish()) buffers.add(chunk.buffer);
    expect(chunks).toBeGreaterThan(20);
    // One buffer, the chunker's WASM memory (64 KiB pages): the window and fastcdc's own pages
    // (its module starts at 1.06 MiB), not a window of its own that get_chunks copies in and out.
    expect(buffers.size).toBe(1);
    const [memory] = [...buffers];
    expect(memory!.byteLength % (64 * 1024)).toBe(0);
    expect(memory!.byteLength).toBeGreaterThan(max + 4 * MiB);
    expect(memory!.byteLength).toBeLessThanOrEqual(max + 4 * MiB + 2 * MiB);
  });

  it('keeps its chunks right when the WASM memory grows under its window', () => {
    // Small params: many offsets per cut, so fastcdc's result grows the memory now and then.
    const params = { min: 64, avg: 256, max: 1024 };
    const chunker = createChunker(params, { views: true });
    const data = input.subarray(0, 6 * MiB);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += 4 * MiB) chunks.push(...chunker.push(data.subarray(at, at + 4 * MiB)).map((chunk) => chunk.slice()));
    chunks.push(...chunker.finish().map((chunk) => chunk.slice()));
    const offsets = fastcdc.get_chunks(new Uint8Array(data), params.min, params.avg, params.max);
    expect(lengths(chunks)).toEqual(Array.from(offsets.subarray(1), (end, i) => end - offsets[i]!));
    expect(sameBytes(concat(chunks), data)).toBe(true);
  });
});

/** Feeds `data` to `chunker` by reading it into room() (short reads of `nextSize` bytes at most); collects every chunk (copies). */
function chunkThroughRoom(chunker: StreamingChunker, data: Uint8Array, roomSize: number, nextSize: () => number, seen?: (fill: number) => void): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start: number | undefined;
  for (let offset = 0; offset < data.length; ) {
    const room = chunker.room(roomSize);
    start ??= room.byteOffset;
    seen?.(room.byteOffset - start);
    const n = Math.min(room.length, nextSize(), data.length - offset);
    room.set(data.subarray(offset, offset + n));
    chunks.push(...chunker.pushed(n).map((chunk) => chunk.slice()));
    offset += n;
  }
  chunks.push(...chunker.finish().map((chunk) => chunk.slice()));
  return chunks;
}

describe('createChunker, read straight into its window (room, pushed)', () => {
  const expected = referenceLengths(input);

  it.each([
    ['1 MiB rooms, full reads', 1 * MiB, () => 1 * MiB],
    ['4 MiB rooms, short reads', 4 * MiB, (() => { const rng = seededRandom(11); return () => 1 + (rng.next() % (4 * MiB)); })()],
    ['a 20 MiB room (the most it gives is the free window)', 20 * MiB, () => 20 * MiB],
  ])('cuts like one fastcdc pass: %s', (_name, roomSize, nextSize) => {
    for (const views of [true, false]) {
      const chunks = chunkThroughRoom(createChunker(undefined, { views }), input, roomSize, nextSize);
      expect(lengths(chunks)).toEqual(expected);
      expect(sameBytes(concat(chunks), input)).toBe(true);
    }
  });

  it('cuts like one pass where the content has no boundary for more than max bytes (a run of zeros), mixed with push()', () => {
    const data = concat([input.subarray(0, 3 * MiB), new Uint8Array(19 * MiB), input.subarray(3 * MiB, 9 * MiB)]);
    const chunker = createChunker(undefined, { views: true });
    const chunks: Uint8Array[] = [];
    for (let offset = 0, i = 0; offset < data.length; i += 1) {
      const n = Math.min(MiB + 17, data.length - offset);
      if (i % 3 === 2) {
        chunks.push(...chunker.push(data.subarray(offset, offset + n)).map((chunk) => chunk.slice()));
      } else {
        chunker.room(n).set(data.subarray(offset, offset + n));
        chunks.push(...chunker.pushed(n).map((chunk) => chunk.slice()));
      }
      offset += n;
    }
    chunks.push(...chunker.finish().map((chunk) => chunk.slice()));
    expect(lengths(chunks)).toEqual(referenceLengths(data));
    expect(chunks.some((chunk) => chunk.length === max)).toBe(true);
  });

  it('keeps the window short: read in 1 MiB pieces, what it holds before a read stays a few average chunks, far below max', () => {
    let most = 0;
    chunkThroughRoom(createChunker(undefined, { views: true }), input, MiB, () => MiB, (fill) => (most = Math.max(most, fill)));
    // Cut only past `max` (as before), it would hold up to 8 MiB before a read.
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThan(max / 2);
  });

  it('refuses pushed() without a room, longer than the room, and a room of no bytes', () => {
    const chunker = createChunker();
    expect(() => chunker.pushed(1)).toThrow(TypeError);
    chunker.room(10);
    expect(() => chunker.pushed(11)).toThrow(RangeError);
    expect(() => chunker.room(0)).toThrow(RangeError);
    chunker.room(10);
    expect(chunker.pushed(10)).toEqual([]);
    expect(() => chunker.pushed(0)).toThrow(TypeError);
    expect(lengths(chunker.finish())).toEqual([10]);
  });
});
