/**
 * The worker side of the compression pool (run by piscina in a worker thread): encodes a batch
 * of blobs packed back to back in one transferred buffer, in place, and sends the buffer back.
 */
import { loadZstd } from '@cairn/pack';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { encodeBatch } from './compress-task.js';
import type { CompressTask } from './compress-task.js';

const zstd = await loadZstd();

/** Encodes every span of `task.buffer` in place; see CompressResult for the layout of the answer. */
export default function compressBatch(task: CompressTask): unknown {
  const result = encodeBatch(task, zstd);
  return move({
    get [transferableSymbol]() {
      return [task.buffer, result.meta.buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  });
}
