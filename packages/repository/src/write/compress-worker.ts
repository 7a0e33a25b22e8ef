/**
 * The worker side of the compression pool (run by piscina in a worker thread): encodes a batch
 * of blobs packed back to back in one transferred buffer and sends both buffers back.
 */
import { codecCode } from '@cairn/core';
import { encodeBlobInto, loadZstd } from '@cairn/pack';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { CompressResult, CompressTask } from './compress-task.js';

const zstd = await loadZstd();

/** Encodes every span of `task.buffer`; see CompressResult for the layout of the answer. */
export default function compressBatch(task: CompressTask): unknown {
  const input = new Uint8Array(task.buffer);
  const codec = task.codec === 'zstd' ? zstd : null;
  const spans = task.spans;
  // One output buffer for the batch, frames written straight into it (no buffer per blob).
  let bound = 0;
  for (let i = 1; i < spans.length; i += 2) bound += zstd.compressBound?.(spans[i] ?? 0) ?? (spans[i] ?? 0) + 1024;
  const needed = codec === null ? 0 : bound;
  const out = task.out !== undefined && task.out.byteLength >= needed ? new Uint8Array(task.out) : new Uint8Array(needed);
  const meta = new Int32Array((spans.length / 2) * 4);
  let at = 0;
  for (let i = 0; i < spans.length; i += 2) {
    const offset = spans[i] ?? 0;
    const length = spans[i + 1] ?? 0;
    const blob = encodeBlobInto(input.subarray(offset, offset + length), codec, task.level, out.subarray(at), { probe: true });
    const m = (i / 2) * 4;
    if (blob.codec === 'none') {
      meta.set([0, offset, length, codecCode('none')], m);
    } else {
      if (blob.data.buffer !== out.buffer) out.set(blob.data, at); // a codec without compressInto
      meta.set([1, at, blob.data.length, codecCode(blob.codec)], m);
      at += blob.data.length;
    }
  }
  const result: CompressResult = { input: task.buffer, out: out.buffer, meta };
  return move({
    get [transferableSymbol]() {
      return [task.buffer, out.buffer, meta.buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  });
}
