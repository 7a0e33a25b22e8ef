// pipeline.mjs: the floor of a first backup's data path in Node, with none of cairn's engine (no
// index, no packs, no trees, no policy, nothing written). The main thread walks DIR
// (readdirSync(withFileTypes) and an lstatSync per entry, as a backup needs each entry's
// metadata), reads every regular file in 4 MiB pieces, cuts them with cairn's chunker
// (fastcdc-wasm, 1 MiB average) and names each chunk by its SHA-256 (Node's crypto.hash); chunks
// are copied into 2 MiB batches, which THREADS worker threads compress with zstd level 3 (cairn's
// zstd: zstd-napi), four batches in flight at most. The same work as cairn's first backup of
// unique data, as Node can do it. Prints "files F bytes B chunks C compressed Z".
//
// With PACKS (a folder), also what writing a repository of them takes, still with no engine: each
// entry's extended-attribute names are asked for (cairn's native listXattrsAt, from the open
// folder's descriptor, as a backup records them), and the compressed chunks come back from the
// threads and are appended to pack files of 16 MiB in PACKS, each hashed whole (SHA-256, its
// name) and synced before the next is opened.
//
//   node pipeline.mjs DIR [THREADS] [PACKS]
import { createHash, hash } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { createChunker } from '@cairn/chunker';

const root = process.argv[2];
const threads = Number(process.argv[3] ?? '2');
const packs = process.argv[4];
if (root === undefined || !Number.isInteger(threads) || threads < 1) {
  process.stderr.write('usage: node pipeline.mjs DIR [THREADS] [PACKS]\n');
  process.exit(2);
}
const PACK = 16 * 1024 * 1024;
/** The transport's native calls (listXattrsAt), when writing packs. */
const native = packs === undefined ? null : loadNative();
if (packs !== undefined) mkdirSync(packs, { recursive: true });
/** The open pack file: its descriptor, bytes so far and running SHA-256. */
let pack = null;
let packCount = 0;
let attributes = 0;

function loadNative() {
  const load = createRequire(import.meta.url);
  for (const candidate of ['@cairn/transport/dist/native/cairn-fs.node', '../../../packages/transport/dist/native/cairn-fs.node']) {
    try {
      return load(candidate);
    } catch {
      // the next candidate
    }
  }
  process.stderr.write('pipeline: the transport\'s native module is not built (packages/transport/dist/native/cairn-fs.node)\n');
  process.exit(2);
}

/** Appends compressed frames to the open pack, closing it (synced, named by its hash) once it holds PACK bytes. */
function store(frames) {
  pack ??= { fd: openSync(`${packs}/open`, 'wx'), size: 0, sha: createHash('sha256') };
  for (let at = 0; at < frames.length;) at += writeSync(pack.fd, frames, at, frames.length - at);
  pack.sha.update(frames);
  pack.size += frames.length;
  if (pack.size >= PACK) finishPack();
}

function finishPack() {
  if (pack === null) return;
  fsyncSync(pack.fd);
  closeSync(pack.fd);
  renameSync(`${packs}/open`, `${packs}/${pack.sha.digest('hex')}`);
  packCount += 1;
  pack = null;
}
const BATCH = 2 * 1024 * 1024;
const IN_FLIGHT = 4;
const PIECE = 4 * 1024 * 1024;

const workers = Array.from({ length: threads }, () => new Worker(new URL('./pipeline-worker.mjs', import.meta.url)));
const idle = [...workers];
const waiting = [];
/** Batch buffers back from the workers, used again (and, writing packs, their output buffers). */
const spare = [];
const spareOut = [];
let compressed = 0;
let inFlight = 0;
for (const worker of workers) {
  worker.on('error', (error) => {
    process.stderr.write(`pipeline worker: ${error.message}\n`);
    process.exit(1);
  });
  worker.on('message', ({ bytes, buffer, out }) => {
    compressed += bytes;
    if (out !== undefined) {
      store(new Uint8Array(out, 0, bytes));
      spareOut.push(out);
    }
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
  if (packs === undefined) {
    idle.shift().postMessage({ buffer: batch.buffer, spans }, [batch.buffer]);
  } else {
    const out = spareOut.pop() ?? new ArrayBuffer(BATCH + 64 * 1024);
    idle.shift().postMessage({ buffer: batch.buffer, spans, out }, [batch.buffer, out]);
  }
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
  const dirfd = native === null ? -1 : openSync(dir, 'r');
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      const stats = lstatSync(path);
      if (native !== null) {
        const names = native.listXattrsAt(dirfd, entry.name);
        if (typeof names !== 'number') attributes += names.length;
      }
      if (stats.isDirectory()) await walk(path);
      else if (stats.isFile()) await readFile(path);
    }
  } finally {
    if (dirfd >= 0) closeSync(dirfd);
  }
}

await walk(root);
await send();
while (inFlight > 0) await new Promise((resolve) => waiting.push(resolve));
await Promise.all(workers.map((worker) => worker.terminate()));
finishPack();
process.stdout.write(`files ${files} bytes ${bytes} chunks ${chunks} compressed ${compressed}${packs === undefined ? '' : ` packs ${packCount} attributes ${attributes}`}\n`);
