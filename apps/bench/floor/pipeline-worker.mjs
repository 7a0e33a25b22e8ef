// pipeline-worker.mjs: pipeline.mjs's compression thread: compresses each span of a batch with
// zstd level 3 (cairn's zstd) and sends back the batch's buffer and the compressed size. When the
// message brings an `out` buffer (pipeline.mjs with a pack folder), the frames are written into
// it back to back (grown when short) and it goes back too; else into one reused buffer, dropped.
import { parentPort } from 'node:worker_threads';
import { loadZstd } from '@cairn/pack';

const zstd = await loadZstd();
let scratch = new Uint8Array(0);
parentPort.on('message', ({ buffer, spans, out: given }) => {
  const batch = new Uint8Array(buffer);
  const keep = given !== undefined;
  let out = keep ? new Uint8Array(given) : scratch;
  let bytes = 0;
  for (let i = 0; i < spans.length; i += 2) {
    const data = batch.subarray(spans[i], spans[i] + spans[i + 1]);
    if (zstd.compressInto === undefined || zstd.compressBound === undefined) {
      const frame = zstd.compress(data, 3);
      if (keep) out = room(out, bytes, frame.length);
      if (keep) out.set(frame, bytes);
      bytes += frame.length;
      continue;
    }
    const bound = zstd.compressBound(data.length);
    out = room(out, keep ? bytes : 0, bound);
    bytes += zstd.compressInto(keep ? out.subarray(bytes) : out, data, 3);
  }
  if (!keep) {
    scratch = out;
    parentPort.postMessage({ bytes, buffer }, [buffer]);
    return;
  }
  parentPort.postMessage({ bytes, buffer, out: out.buffer }, [buffer, out.buffer]);
});

/** `out`, or a larger copy of its first `used` bytes, with room for `more` bytes after them. */
function room(out, used, more) {
  if (used + more <= out.length) return out;
  const grown = new Uint8Array(Math.max(out.length * 2, used + more));
  grown.set(out.subarray(0, used));
  return grown;
}
