// restore-pipeline-worker.mjs: restore-pipeline.mjs's decode thread: decompresses every frame of
// one read (cairn's zstd) into the buffer sent along (large enough for any read), and sends
// it back with each frame's file, place and length, and the read's buffer.
import { parentPort } from 'node:worker_threads';
import { loadZstd } from '@cairn/pack';

const zstd = await loadZstd();
parentPort.on('message', ({ read, buffer, frames, out }) => {
  const stored = new Uint8Array(buffer);
  const output = new Uint8Array(out);
  const spans = [];
  let at = 0;
  for (let f = 0; f < frames.length; f += 4) {
    const [file, offset, length, raw] = [frames[f], frames[f + 1], frames[f + 2], frames[f + 3]];
    const frame = stored.subarray(offset, offset + length);
    if (zstd.decompressInto === undefined) output.set(zstd.decompress(frame, raw), at);
    else zstd.decompressInto(output.subarray(at, at + raw), frame);
    spans.push(file, at, raw);
    at += raw;
  }
  parentPort.postMessage({ read, input: buffer, output: output.buffer, spans }, [buffer, output.buffer]);
});
