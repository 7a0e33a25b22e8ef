/**
 * The worker side of blob decoding (a restore's reads, a dump's) (run by piscina in a worker thread): decompresses and
 * verifies the blobs of one read and sends their plaintexts back in one transferred buffer.
 */
import { loadZstd } from '@cairn/pack';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { decodeStep } from './decode-task.js';
import type { DecodeTask } from './decode-task.js';

const zstd = await loadZstd();

/** Decodes every blob of `task`; see DecodeResult. */
export default function decodeRead(task: DecodeTask): unknown {
  const result = decodeStep(task, zstd);
  return move({
    get [transferableSymbol]() {
      return result.buffer === undefined ? [] : [result.buffer];
    },
    get [valueSymbol]() {
      return result;
    },
  });
}
