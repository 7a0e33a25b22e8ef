// Throughput of createChunker + blobId over pseudo-random data.
// Usage: npx tsc -b && node bench/throughput.mjs [MiB, default 256] [piece KiB, default 1024]
import { randomFillSync } from 'node:crypto';
import { blobId, createChunker } from '../dist/index.js';

const total = Number(process.argv[2] ?? 256) * 1024 * 1024;
const pieceSize = Number(process.argv[3] ?? 1024) * 1024;
const source = randomFillSync(new Uint8Array(64 * 1024 * 1024)); // reused, so memory stays small

function run() {
  const chunker = createChunker();
  let chunks = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (let done = 0; done < total; done += pieceSize) {
    const start = done % source.length;
    for (const chunk of chunker.push(source.subarray(start, start + pieceSize))) {
      blobId(chunk);
      chunks++;
      bytes += chunk.length;
    }
  }
  for (const chunk of chunker.finish()) {
    blobId(chunk);
    chunks++;
    bytes += chunk.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { chunks, bytes, seconds };
}

run(); // warm-up
for (let i = 0; i < 3; i++) {
  const { chunks, bytes, seconds } = run();
  console.log(`${(bytes / 1048576).toFixed(0)} MiB in ${chunks} chunks: ${(bytes / 1e6 / seconds).toFixed(0)} MB/s`);
}
