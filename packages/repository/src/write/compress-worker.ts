/**
 * The worker side of the compression pool (run by piscina in a worker thread): encodes a batch
 * of blobs packed back to back in one transferred buffer, in place, and sends the buffer back.
 */
import { codecCode } from '@cairn/core';
import { encodeBlobInto, loadZstd } from '@cairn/pack';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { CompressResult, CompressTask } from './compress-task.js';

const zstd = await loadZstd();
/** Where each frame is written before it is copied over its blob: one per thread, grown to the largest blob's bound, reused. */
let scratch = new Uint8Array(0);

/** Encodes every span of `task.buffer` in place; see CompressResult for the layout of the answer. */
export default function compressBatch(task: CompressTask): unknown {
  const input = new Uint8Array(task.buffer);
  const codec = task.codec === 'zstd' ? zstd : null;
  const spans = task.spans;
  const meta = new Int32Array((spans.length / 2) * 3);
  for (let i = 0; i < spans.length; i += 2) {
    const offset = spans[i] ?? 0;
    const length = spans[i + 1] ?? 0;
    const raw = input.subarray(offset, offset + length);
    const bound = codec === null ? 0 : zstd.compressBound?.(length) ?? length + 1024;
    if (scratch.length < bound) scratch = new Uint8Array(bound);
    const blob = encodeBlobInto(raw, codec, task.level, scratch, { probe: true });
    // A frame is chosen only when shorter than the blob, so it fits where the blob was.
    if (blob.codec !== 'none') input.set(blob.data, offset);
    meta.set([offset, blob.data.length, codecCode(blob.codec)], (i / 2) * 3);
  }
  const result: CompressResult = { input: task.buffer, meta };
  return move({
    get [transferableSymbol]() {
      return [task.buffer, meta.buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  });
}
