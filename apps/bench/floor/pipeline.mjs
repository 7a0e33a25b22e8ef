// pipeline.mjs: the floor of a first backup's data path in Node, with none of cairn's engine (no
// index, no packs, no trees, no policy, nothing written). The main thread walks DIR
// (readdirSync(withFileTypes) and an lstatSync per entry, as a backup needs each entry's
// metadata), reads every regular file in 4 MiB pieces, cuts them with cairn's chunker
// (fastcdc-wasm, 1 MiB average) and names each chunk by its SHA-256 (Node's crypto.hash); chunks
// are copied into 2 MiB batches, which THREADS worker threads compress with zstd level 3 (cairn's
// zstd: zstd-napi), four batches in flight at most. The same work as cairn's first backup of
// unique data, as Node can do it. Prints "files F bytes B chunks C compressed Z".
//
//   node pipeline.mjs DIR [THREADS]
import { hash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { createChunker } from '@cairn/chunker';

const root = process.argv[2];
const threads = Number(process.argv[3] ?? '2');
if (root === undefined || !Number.isInteger(threads) || threads < 1) {
  process.stderr.write('usage: node pipeline.mjs DIR [THREADS]\n');
  process.exit(2);
}
const BATCH = 2 * 1024 * 1024;
const IN_FLIGHT = 4;
const PIECE = 4 * 1024 * 1024;

const workers = Array.from({ length: threads }, () => new Worker(new URL('./pipeline-worker.mjs', import.meta.url)));
const idle = [...workers];
const waiting = [];
/** Batch buffers back from the workers, used again. */
const spare = [];
let compressed = 0;
let inFlight = 0;
for (const worker of workers) {
  worker.on('error', (error) => {
    process.stderr.write(`pipeline worker: ${error.message}\n`);
    process.exit(1);
  });
  worker.on('message', ({ bytes, buffer }) => {
    compressed += bytes;
    inFlight -= 1;
    spare.push(buffer);
    idle.push(worker);
    waiting.shift()?.();
  });
}
let batch = new Uint8Array(BATCH);
let spans = [];
let used = 0;

async function send() {
  if (spans.length === 0) return;
  while (inFlight >= IN_FLIGHT || idle.length === 0) await new Promise((resolve) => waiting.push(resolve));
  inFlight += 1;
  idle.shift().postMessage({ buffer: batch.buffer, spans }, [batch.buffer]);
  const reused = spare.pop();
  batch = reused === undefined ? new Uint8Array(BATCH) : new Uint8Array(reused);
  spans = [];
  used = 0;
}

let files = 0;
let bytes = 0;
let chunks = 0;
const chunker = createChunker(undefined, { views: true });
const piece = new Uint8Array(PIECE);

async function take(list) {
  for (const chunk of list) {
    hash('sha256', chunk, 'buffer');
    chunks += 1;
    if (used + chunk.length > BATCH) await send();
    // A chunk longer than a batch goes alone, in a buffer of its size (kept among the spares after).
    if (chunk.length > batch.length) batch = new Uint8Array(chunk.length);
    batch.set(chunk, used);
    spans.push(used, chunk.length);
    used += chunk.length;
  }
}

async function readFile(path) {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, piece, 0, PIECE, null);
      if (n === 0) break;
      bytes += n;
      // Views of the chunker's window stay valid until its next push: each is hashed and copied first.
      await take(chunker.push(piece.subarray(0, n)));
    }
    await take(chunker.finish());
  } finally {
    closeSync(fd);
  }
  files += 1;
}

async function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    const stats = lstatSync(path);
    if (stats.isDirectory()) await walk(path);
    else if (stats.isFile()) await readFile(path);
  }
}

await walk(root);
await send();
while (inFlight > 0) await new Promise((resolve) => waiting.push(resolve));
await Promise.all(workers.map((worker) => worker.terminate()));
process.stdout.write(`files ${files} bytes ${bytes} chunks ${chunks} compressed ${compressed}\n`);
