import { DEFAULT_CHUNKER_PARAMS, validateChunkerParams } from './chunker-params.js';
import type { ChunkerParams } from './chunker-params.js';
import { createFastcdcWindow } from './fastcdc-window.js';
import type { FastcdcWindow } from './fastcdc-window.js';

/** Splits one stream of bytes into content-defined chunks, whatever the sizes of the pieces it is fed. */
export interface StreamingChunker {
  /** Adds the next piece of the stream; returns the chunks it completed (possibly none). */
  push(data: Uint8Array): Uint8Array[];
  /**
   * Room in the chunker's own window for the next piece of the stream: at most `length` bytes (at
   * least one, and at least 4 MiB when asked). Read into it and hand over what was read with
   * `pushed`: the stream is then chunked where it was read, with no copy. Chunks returned before
   * are no longer valid (as with push).
   */
  room(length: number): Uint8Array;
  /** Adds the first `length` bytes written into the last `room` as the next piece; returns the chunks it completed, as push. */
  pushed(length: number): Uint8Array[];
  /**
   * Ends the stream: returns the chunks still held (none for an empty stream, else at least the
   * last one) and readies the chunker for a new stream, keeping its buffer.
   */
  finish(): Uint8Array[];
}

/** Options of createChunker. */
export interface ChunkerOptions {
  /**
   * Return views into the chunker's window instead of copies: no allocation per chunk, but a
   * chunk is only valid until the next push() or finish(). Default false (copies).
   */
  readonly views?: boolean;
}

/**
 * The window holds one chunk of the largest size plus one piece of this size (the backup's read
 * size), so a stream fed in pieces up to this size is cut between pieces and never in the middle
 * of one (which would copy every chunk of the window).
 */
const PIECE_ROOM = 4 * 1024 * 1024;

/**
 * Once the window holds this many times the average chunk size, it is cut (the chunks it holds
 * are returned, the unfinished one stays): so the window's pages in use are those of an
 * unfinished chunk and a piece, not `max` and a piece (8 MiB fewer resident with cairn's sizes
 * and 1 MiB pieces: benchmarks/BENCHMARKS.md, issue 15). The boundaries do not change: each cut
 * but the last of a window is a real one, and the last is cut again with what follows.
 */
const CUT_AT_AVERAGES = 2;

/**
 * A FastCDC chunker (fastcdc-wasm). Input is copied into a window of max + 4 MiB bytes (or read
 * straight into it: room, pushed), which lives in the WASM memory fastcdc cuts it in
 * (fastcdc-window.ts: one window, not two); once a piece leaves CUT_AT_AVERAGES × avg bytes in it,
 * or more than `max` (or, for a larger piece, each time it fills), the window is cut, every
 * complete chunk is returned and the unfinished tail (at most `max` bytes) moves to the front when
 * more input comes. A cut depends only on the bytes from the start of its
 * chunk to the cut, and each chunk is at most `max` long, so the boundaries are those of one pass
 * over the whole stream, however the input was split. Returned chunks are copies the caller owns
 * (or, with `views`, views valid until the next call).
 */
export function createChunker(params: ChunkerParams = DEFAULT_CHUNKER_PARAMS, options: ChunkerOptions = {}): StreamingChunker {
  const { min, avg, max } = validateChunkerParams(params);
  const views = options.views === true;
  const emit = views ? (from: number, to: number) => buffer.subarray(from, to) : (from: number, to: number) => buffer.slice(from, to);
  const windowSize = max + PIECE_ROOM;
  const cutAt = Math.min(max, CUT_AT_AVERAGES * avg);
  /** Taken at the first byte, so a chunker that never sees one allocates nothing. */
  let window: FastcdcWindow | null = null;
  let buffer: Uint8Array = new Uint8Array(0);
  let fill = 0;
  /** Bytes at the front already emitted: moved out only when more input comes, so views stay valid until then. */
  let consumed = 0;

  function compact(): void {
    if (consumed === 0) return;
    buffer.copyWithin(0, consumed, fill);
    fill -= consumed;
    consumed = 0;
  }

  function reserve(): void {
    window ??= createFastcdcWindow(windowSize);
    buffer = window.bytes;
  }

  // Cuts buffer[0, fill): emits every chunk, or all but the last one (which may not be a real
  // boundary) when more input follows. fastcdc returns the cut offsets including 0 and `fill`.
  function cut(out: Uint8Array[], final: boolean): void {
    const offsets = (window ??= createFastcdcWindow(windowSize)).cut(fill, min, avg, max);
    buffer = window.bytes; // the memory may have grown for the offsets: the chunks are views of the new one
    const complete = offsets.length - (final ? 1 : 2);
    // More than `max` bytes hold a complete chunk; fewer (an early cut) may not yet.
    if (!final && complete < 1 && fill > max) throw new Error(`fastcdc made no cut in a ${fill}-byte window (max ${max})`);
    for (let i = 0; i < complete; i++) out.push(emit(offsets[i] ?? 0, offsets[i + 1] ?? 0));
    consumed = offsets[complete] ?? fill;
  }

  /** Bytes held (not emitted) at which the next cut between pieces is made: `cutAt` more than a cut that found no chunk to return. */
  let cutFrom = cutAt;

  /** After a piece: cuts once the window holds `cutFrom` bytes not emitted, and always past `max` (so after it, at least PIECE_ROOM bytes are free). */
  function cutBetweenPieces(out: Uint8Array[]): Uint8Array[] {
    const held = fill - consumed;
    if (held >= cutFrom || held > max) {
      const before = out.length;
      cut(out, false);
      // An unfinished chunk is not scanned again until `cutAt` more bytes came.
      cutFrom = out.length > before ? cutAt : fill - consumed + cutAt;
    }
    return out;
  }

  /** Where the last room() began, and its length (-1: no room handed out). */
  let roomAt = 0;
  let roomLength = -1;

  return {
    push(data: Uint8Array): Uint8Array[] {
      if (!(data instanceof Uint8Array)) throw new TypeError('chunker push: data must be a Uint8Array');
      const out: Uint8Array[] = [];
      let offset = 0;
      compact();
      while (offset < data.length) {
        const take = Math.min(data.length - offset, windowSize - fill);
        reserve();
        buffer.set(data.subarray(offset, offset + take), fill);
        fill += take;
        offset += take;
        if (fill === windowSize && offset < data.length) {
          // A piece larger than the window's room: cut, and the views become copies, since
          // the rest of the piece goes where these chunks are.
          cut(out, false);
          cutFrom = cutAt;
          if (views) out.forEach((chunk, i) => (out[i] = chunk.slice()));
          compact();
        }
      }
      // Cut between pieces, where the views stay valid until the next call.
      roomLength = -1;
      return cutBetweenPieces(out);
    },

    room(length: number): Uint8Array {
      if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`chunker room: length must be a whole number >= 1, not ${length}`);
      compact();
      reserve();
      // After compact() the window holds at most `max` bytes (see cutBetweenPieces): at least
      // PIECE_ROOM are free.
      roomAt = fill;
      roomLength = Math.min(length, windowSize - fill);
      return buffer.subarray(roomAt, roomAt + roomLength);
    },

    pushed(length: number): Uint8Array[] {
      if (roomLength < 0) throw new TypeError('chunker pushed: no room() handed out since the last call');
      if (!Number.isSafeInteger(length) || length < 0 || length > roomLength) throw new RangeError(`chunker pushed: length must be within [0, ${roomLength}], not ${length}`);
      roomLength = -1;
      buffer = window!.bytes;
      fill = roomAt + length;
      return cutBetweenPieces([]);
    },

    finish(): Uint8Array[] {
      const out: Uint8Array[] = [];
      roomLength = -1;
      compact();
      // fastcdc returns anything up to `min` bytes as one chunk: no need to ask it.
      if (fill > min) cut(out, true);
      else if (fill > 0) out.push(emit(0, fill));
      fill = 0; // everything is emitted; the bytes stay until the next push overwrites them
      consumed = 0;
      cutFrom = cutAt;
      return out;
    },
  };
}
