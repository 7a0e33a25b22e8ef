import { codecFromCode, isCairnError, toHex } from '@cairn/core';
import type { ZstdCodec } from '@cairn/pack';
import { unpackBlob, verifierOf } from '../repo/blob-check.js';
import { BINARY_PROBE_BYTES, MAX_LINE_CHARS, createContentSearch, createMatcher } from './grep-matcher.js';
import type { ContentResult, GrepLine, GrepPattern, LineOptions, Matcher } from './grep-matcher.js';

/**
 * A batch of file contents for the grep worker: their blobs as stored, back to back in one
 * transferred buffer, each content's blobs one after another in file order.
 */
export interface GrepTask {
  readonly buffer: ArrayBuffer;
  /** Per blob: offset in buffer, stored length, plaintext length, codec code. */
  readonly blobs: Uint32Array;
  /** Per blob: its 32-byte id, checked against its plaintext. */
  readonly ids: Uint8Array;
  /** Per content: how many of the blobs (in order) are its. */
  readonly contents: Uint32Array;
  readonly search: GrepPattern & LineOptions;
  /** The MAC key of an encrypted repository's ids; absent: ids are SHA-256. */
  readonly macKey?: Uint8Array;
}

/** What the worker found in a batch: small, whatever the size of the batch. */
export interface GrepTaskResult {
  /** The task's buffer, given back for the next batch. */
  readonly buffer: ArrayBuffer;
  /** Per content: matching lines, plaintext bytes read, flags (CONTENT_BINARY, CONTENT_TOO_LONG). */
  readonly counts: Uint32Array;
  /** The lines of the contents that have any to keep: [content number in the batch, lines]. */
  readonly lines: [number, GrepLine[]][];
  /** The first blob that failed to decode or did not match its id; the contents after it are not searched. */
  readonly failure?: { readonly content: number; readonly blob: string; readonly code: string; readonly message: string; readonly hint?: string };
}

/** A content that looks binary (skipped). */
export const CONTENT_BINARY = 1;
/** A content with a line longer than MAX_LINE_CHARS (searched up to it). */
export const CONTENT_TOO_LONG = 2;

let cached: { key: string; matcher: Matcher; literal: Uint8Array | null } | null = null;
/** The matcher of a search, compiled once per thread while the pattern stays the same. */
function matcherOf(search: GrepPattern): { matcher: Matcher; literal: Uint8Array | null } {
  const key = JSON.stringify([search.pattern, search.fixed === true, search.ignoreCase === true, search.word === true]);
  if (cached?.key !== key) {
    // A literal matched case-sensitively must occur in a matching content's bytes as they are.
    const literal = search.fixed === true && search.ignoreCase !== true ? new TextEncoder().encode(search.pattern) : null;
    cached = { key, matcher: createMatcher(search), literal };
  }
  return cached;
}

/**
 * Decodes, verifies and searches each content of a batch (the grep worker's work, also run in
 * the main thread when a search is too small to start threads for). A single-blob content that
 * does not hold a literal pattern's bytes is answered without decoding it to text.
 */
export function searchBatch(task: GrepTask, zstd: ZstdCodec): GrepTaskResult {
  const { matcher, literal } = matcherOf(task.search);
  const codecs = verifierOf(zstd, task.macKey);
  const input = new Uint8Array(task.buffer);
  const counts = new Uint32Array(task.contents.length * 3);
  const lines: [number, GrepLine[]][] = [];
  let b = 0;
  for (let c = 0; c < task.contents.length; c += 1) {
    const blobCount = task.contents[c] ?? 0;
    let result: ContentResult;
    const first = b;
    try {
      const plainOf = (k: number): Uint8Array => {
        const m = k * 4;
        const offset = task.blobs[m] ?? 0;
        const codec = codecFromCode(task.blobs[m + 3] ?? 0) ?? 'none';
        const id = task.ids.subarray(k * 32, k * 32 + 32);
        return unpackBlob(input.subarray(offset, offset + (task.blobs[m + 1] ?? 0)), { id, codec, rawLength: task.blobs[m + 2] ?? 0 }, codecs, () => `data blob ${toHex(id)}`);
      };
      if (blobCount === 1 && literal !== null && (task.blobs[b * 4 + 2] ?? 0) <= MAX_LINE_CHARS) {
        const plain = plainOf(b);
        const binary = task.search.binary !== true && plain.subarray(0, BINARY_PROBE_BYTES).includes(0);
        result = binary || Buffer.from(plain.buffer, plain.byteOffset, plain.length).indexOf(literal) === -1
          ? { binary, tooLong: false, count: 0, lines: [], bytes: plain.length }
          : searchWhole(plain, matcher, task.search);
      } else {
        const search = createContentSearch(matcher, task.search);
        for (let k = first; k < first + blobCount; k += 1) if (search.push(plainOf(k))) break;
        result = search.finish();
      }
    } catch (error) {
      if (!isCairnError(error)) throw error;
      const failed = error.message.match(/^data blob ([0-9a-f]{64})/)?.[1] ?? '';
      return { buffer: task.buffer, counts, lines, failure: { content: c, blob: failed, code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) } };
    }
    b = first + blobCount;
    counts[c * 3] = result.count;
    counts[c * 3 + 1] = result.bytes;
    counts[c * 3 + 2] = (result.binary ? CONTENT_BINARY : 0) | (result.tooLong ? CONTENT_TOO_LONG : 0);
    if (result.lines.length > 0) lines.push([c, result.lines]);
  }
  return { buffer: task.buffer, counts, lines };
}

function searchWhole(plain: Uint8Array, matcher: Matcher, options: LineOptions): ContentResult {
  const search = createContentSearch(matcher, options);
  search.push(plain);
  return search.finish();
}
