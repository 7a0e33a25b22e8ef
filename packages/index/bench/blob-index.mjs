// Measures the blob index at 5,000,000 entries: bytes of RAM per blob and lookups per second.
// Not a test. Build first, then run from packages/index:
//   npx tsc -b && node --expose-gc bench/blob-index.mjs [count]
import { randomBytes, randomFillSync } from 'node:crypto';
import { createBlobIndex } from '@cairn/index';

const count = Number(process.argv[2] ?? 5_000_000);
const perPack = 5_000; // ~ a 16 MiB pack of small chunks
const ids = randomFillSync(new Uint8Array(count * 32));
const settle = async () => {
  globalThis.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200)); // backing stores are freed off-thread
};

await settle();
const heapBefore = process.memoryUsage();
const index = createBlobIndex();
let started = performance.now();
for (let first = 0; first < count; first += perPack) {
  const blobs = [];
  for (let i = first; i < Math.min(first + perPack, count); i += 1) {
    blobs.push({ id: ids.subarray(i * 32, i * 32 + 32), type: 'data', offset: i, length: 1000, rawLength: 2000, codec: 'zstd' });
  }
  index.addPack(randomBytes(32), blobs);
}
const addSeconds = (performance.now() - started) / 1000;
await settle();
const heapAfter = process.memoryUsage();

// Look ids up in a shuffled order, each a fresh 32-byte copy (as a backup's freshly hashed
// chunk ids are), so the table and the stored ids are hit at random, as in real use.
const order = new Uint32Array(count);
for (let i = 0; i < count; i += 1) order[i] = i;
for (let i = count - 1; i > 0; i -= 1) {
  const j = Math.floor(Math.random() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const keys = Array.from(order, (i) => ids.slice(i * 32, i * 32 + 32));
let found = 0;
started = performance.now();
for (const id of keys) if (index.lookup(id) !== undefined) found += 1;
const lookupSeconds = (performance.now() - started) / 1000;
started = performance.now();
for (const id of keys) if (index.has(id)) found += 1;
const hasSeconds = (performance.now() - started) / 1000;
const misses = Array.from({ length: 1_000_000 }, () => new Uint8Array(randomBytes(32)));
started = performance.now();
for (const id of misses) if (index.has(id)) found += 1;
const missSeconds = (performance.now() - started) / 1000;
if (found !== 2 * count) throw new Error(`expected ${2 * count} hits, got ${found}`);

const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const rate = (n, s) => `${(n / s / 1e6).toFixed(2)} M/s`;
console.log(`entries              ${index.size.toLocaleString('en')} in ${index.packCount} packs`);
console.log(`memoryBytes()        ${mb(index.memoryBytes())} = ${(index.memoryBytes() / count).toFixed(1)} bytes/blob`);
const external = heapAfter.arrayBuffers - heapBefore.arrayBuffers;
const heap = heapAfter.heapUsed - heapBefore.heapUsed;
console.log(`process (after gc)   +${mb(external)} array buffers, +${mb(heap)} JS heap = ${((external + heap) / count).toFixed(1)} bytes/blob`);
console.log(`addPack              ${rate(count, addSeconds)} (${addSeconds.toFixed(2)} s)`);
console.log(`lookup (hits)        ${rate(count, lookupSeconds)}`);
console.log(`has (hits)           ${rate(count, hasSeconds)}`);
console.log(`has (misses)         ${rate(misses.length, missSeconds)}`);
