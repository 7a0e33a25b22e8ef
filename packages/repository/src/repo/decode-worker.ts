/**
 * The worker side of blob decoding (a restore's reads, a dump's) (run by piscina in a worker thread): decompresses and
 * verifies the blobs of one read and sends their plaintexts back in one transferred buffer.
 */
import { loadZstd } from '@cairn/pack';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { decodeStep } from './decode-task.js';
import type { DecodeResult, DecodeTask } from './decode-task.js';

const zstd = await loadZstd();

/** Decodes every blob of `task`; see DecodeResult. */
export default function decodeRead(task: DecodeTask): unknown {
  const decoded = decodeStep(task, zstd);
  // The stored bytes go back with task.returnInput, to be collected by the busier main thread (this
  // thread allocates too little to collect the reads it is sent soon: they had added up to 100 MB).
  const result: DecodeResult = task.returnInput === true ? { ...decoded, input: task.buffer } : decoded;
  return move({
    get [transferableSymbol]() {
      return [...(result.buffer === undefined ? [] : [result.buffer]), ...(result.input === undefined ? [] : [result.input])];
    },
    get [valueSymbol]() {
      return result;
    },
  });
}
