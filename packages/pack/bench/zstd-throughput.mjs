// Compress / decompress MB/s of both zstd codecs on 64 MiB of source-code-like text (level 3),
// in 1 MiB blobs as the engine stores them. Corpus: TypeScript's own lib/*.js and *.d.ts files.
// Usage: npx tsc -b && node bench/zstd-throughput.mjs [MiB, default 64] [blob KiB, default 1024] [level, default 3]
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadNativeZstd } from '../dist/zstd-native.js';
import { loadWasmZstd } from '../dist/zstd-wasm.js';

const total = Number(process.argv[2] ?? 64) * 1024 * 1024;
const blobSize = Number(process.argv[3] ?? 1024) * 1024;
const level = Number(process.argv[4] ?? 3);

const lib = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json', { paths: [process.cwd(), '../..'] })), 'lib');
const files = readdirSync(lib).filter((name) => /\.(js|d\.ts)$/.test(name)).sort();
const corpus = new Uint8Array(total);
for (let filled = 0, i = 0; filled < total; i++) {
  const text = readFileSync(join(lib, files[i % files.length]));
  const take = Math.min(text.length, total - filled);
  corpus.set(text.subarray(0, take), filled);
  filled += take;
}
const blobs = [];
for (let offset = 0; offset < total; offset += blobSize) blobs.push(corpus.subarray(offset, offset + blobSize));

const mbps = (bytes, ms) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
for (const codec of [await loadNativeZstd(), await loadWasmZstd()]) {
  for (let round = 0; round < 2; round++) {
    let started = performance.now();
    const frames = blobs.map((blob) => codec.compress(blob, level));
    const compressMs = performance.now() - started;
    started = performance.now();
    frames.forEach((frame, i) => codec.decompress(frame, blobs[i].length));
    const decompressMs = performance.now() - started;
    const stored = frames.reduce((sum, frame) => sum + frame.length, 0);
    if (round === 1) {
      console.log(`${codec.name}: ratio ${(total / stored).toFixed(2)}, compress ${mbps(total, compressMs)} MB/s, decompress ${mbps(total, decompressMs)} MB/s`);
    }
  }
}
