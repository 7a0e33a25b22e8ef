/**
 * The worker side of the grep pool (run by piscina in a worker thread): decodes, verifies and
 * searches a batch of contents and sends back the small results and the batch's buffer.
 */
import { loadZstd } from '@cairn/pack';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { searchBatch } from './grep-task.js';
import type { GrepTask } from './grep-task.js';

const zstd = await loadZstd();

/** Searches every content of `task`; see GrepTaskResult. */
export default function grepBatch(task: GrepTask): unknown {
  const result = searchBatch(task, zstd);
  return move({
    get [transferableSymbol]() {
      return [task.buffer, result.counts.buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  });
}
