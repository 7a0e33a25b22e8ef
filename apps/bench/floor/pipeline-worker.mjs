// pipeline-worker.mjs: pipeline.mjs's compression thread: compresses each span of a batch with
// zstd level 3 (cairn's zstd), into one reused output buffer, and sends back the batch's buffer
// and the compressed size.
import { parentPort } from 'node:worker_threads';
import { loadZstd } from '@cairn/pack';

const zstd = await loadZstd();
let out = new Uint8Array(0);
parentPort.on('message', ({ buffer, spans }) => {
  const batch = new Uint8Array(buffer);
  let bytes = 0;
  for (let i = 0; i < spans.length; i += 2) {
    const data = batch.subarray(spans[i], spans[i] + spans[i + 1]);
    if (zstd.compressInto !== undefined && zstd.compressBound !== undefined) {
      const bound = zstd.compressBound(data.length);
      if (out.length < bound) out = new Uint8Array(bound);
      bytes += zstd.compressInto(out, data, 3);
    } else {
      bytes += zstd.compress(data, 3).length;
    }
  }
  parentPort.postMessage({ bytes, buffer }, [buffer]);
});
