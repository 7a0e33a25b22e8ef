/**
 * The worker side of the compression pool (run by piscina in a worker thread): encodes a batch
 * of blobs packed back to back in one transferred buffer and sends both buffers back.
 */
import { codecCode } from '@cairn/core';
import { encodeBlob, loadZstd } from '@cairn/pack';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { CompressResult, CompressTask } from './compress-task.js';

const zstd = await loadZstd();

/** Encodes every span of `task.buffer`; see CompressResult for the layout of the answer. */
export default function compressBatch(task: CompressTask): unknown {
  const input = new Uint8Array(task.buffer);
  const codec = task.codec === 'zstd' ? zstd : null;
  const frames: Uint8Array[] = [];
  const meta = new Int32Array(task.spans.length / 2 * 4);
  let outLength = 0;
  for (let i = 0; i < task.spans.length; i += 2) {
    const offset = task.spans[i] ?? 0;
    const length = task.spans[i + 1] ?? 0;
    const blob = encodeBlob(input.subarray(offset, offset + length), codec, task.level, { probe: true });
    const m = (i / 2) * 4;
    if (blob.codec === 'none') {
      meta.set([0, offset, length, codecCode('none')], m);
    } else {
      meta.set([1, outLength, blob.data.length, codecCode(blob.codec)], m);
      frames.push(blob.data);
      outLength += blob.data.length;
    }
  }
  const out = new Uint8Array(outLength);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
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
