import { DEFAULT_CHUNKER_PARAMS, validateChunkerParams } from './chunker-params.js';
import type { ChunkerParams } from './chunker-params.js';
import { createFastcdcWindow } from './fastcdc-window.js';
import type { FastcdcWindow } from './fastcdc-window.js';

/** Splits one stream of bytes into content-defined chunks, whatever the sizes of the pieces it is fed. */
export interface StreamingChunker {
  /** Adds the next piece of the stream; returns the chunks it completed (possibly none). */
  push(data: Uint8Array): Uint8Array[];
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
 * A FastCDC chunker (fastcdc-wasm). Input is copied into a window of max + 4 MiB bytes, which
 * lives in the WASM memory fastcdc cuts it in (fastcdc-window.ts: one window, not two); once a
 * piece leaves more than `max` bytes in it (or, for a larger piece, each time it fills), the
 * window is cut, every complete chunk is returned and the unfinished tail (at most `max` bytes)
 * moves to the front when more input comes. A cut depends only on the bytes from the start of its
 * chunk to the cut, and each chunk is at most `max` long, so the boundaries are those of one pass
 * over the whole stream, however the input was split. Returned chunks are copies the caller owns
 * (or, with `views`, views valid until the next call).
 */
export function createChunker(params: ChunkerParams = DEFAULT_CHUNKER_PARAMS, options: ChunkerOptions = {}): StreamingChunker {
  const { min, avg, max } = validateChunkerParams(params);
  const views = options.views === true;
  const emit = views ? (from: number, to: number) => buffer.subarray(from, to) : (from: number, to: number) => buffer.slice(from, to);
  const windowSize = max + PIECE_ROOM;
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
    if (!final && complete < 1) throw new Error(`fastcdc made no cut in a ${fill}-byte window (max ${max})`);
    for (let i = 0; i < complete; i++) out.push(emit(offsets[i] ?? 0, offsets[i + 1] ?? 0));
    consumed = offsets[complete] ?? fill;
  }

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
          if (views) out.forEach((chunk, i) => (out[i] = chunk.slice()));
          compact();
        }
      }
      // More than `max` bytes hold at least one complete chunk: cut between pieces, where the
      // views stay valid until the next call.
      if (fill - consumed > max) cut(out, false);
      return out;
    },

    finish(): Uint8Array[] {
      const out: Uint8Array[] = [];
      compact();
      // fastcdc returns anything up to `min` bytes as one chunk: no need to ask it.
      if (fill > min) cut(out, true);
      else if (fill > 0) out.push(emit(0, fill));
      fill = 0; // everything is emitted; the bytes stay until the next push overwrites them
      consumed = 0;
      return out;
    },
  };
}
