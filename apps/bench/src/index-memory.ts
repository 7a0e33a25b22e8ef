import { CairnError } from '@cairn/core';
import type { PackedBlob } from '@cairn/core';
import { createBlobIndex } from '@cairn/index';
import { createPrng } from './prng.js';

/** What the blob index costs at `entries` blobs. */
export interface IndexMemoryResult {
  readonly entries: number;
  readonly packs: number;
  /** (JS heap + array buffers) growth after a forced gc, per entry. */
  readonly bytesPerEntry: number;
  /** The index's own count (memoryBytes()), per entry. */
  readonly ownBytesPerEntry: number;
  readonly insertSeconds: number;
  readonly insertsPerSecond: number;
  /** Lookups of indexed ids in random order. */
  readonly lookupsPerSecond: number;
  /** has() of ids that are not indexed. */
  readonly missesPerSecond: number;
}

/** The target of the blob index: at most this many bytes of RAM per entry. */
export const INDEX_TARGET_BYTES_PER_ENTRY = 64;

const PER_PACK = 5_000; // about a 16 MiB pack of small chunks

/**
 * Builds a BlobIndex of `entries` pseudo-random ids in packs of 5,000 blobs and measures
 * its memory (heap + array buffers before and after, each after a forced gc), insert
 * rate and lookup rates. Needs `node --expose-gc`.
 */
export async function measureIndexMemory(entries: number, seed = 1): Promise<IndexMemoryResult> {
  if (!Number.isInteger(entries) || entries < 1 || entries > 100_000_000) throw new RangeError(`entries must be an integer from 1 to 100,000,000, not ${String(entries)}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new CairnError('ERR_UNSUPPORTED', 'Measuring the index needs a forced garbage collection, which this Node.js process does not offer.', { hint: 'run node with --expose-gc' });
  const settle = async (): Promise<NodeJS.MemoryUsage> => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 200)); // backing stores are freed off-thread
    gc();
    return process.memoryUsage();
  };
  const prng = createPrng(seed);
  const ids = new Uint8Array(entries * 32);
  prng.fill(ids);
  const packId = new Uint8Array(32);
  const before = await settle();
  const index = createBlobIndex();
  let started = performance.now();
  for (let first = 0; first < entries; first += PER_PACK) {
    const blobs: PackedBlob[] = [];
    for (let i = first; i < Math.min(first + PER_PACK, entries); i += 1) {
      blobs.push({ id: ids.subarray(i * 32, i * 32 + 32), type: 'data', offset: i, length: 1_000, rawLength: 2_000, codec: 'zstd' });
    }
    prng.fill(packId);
    index.addPack(packId, blobs);
  }
  const insertSeconds = (performance.now() - started) / 1000;
  const after = await settle();

  const order = new Uint32Array(entries);
  for (let i = 0; i < entries; i += 1) order[i] = i;
  for (let i = entries - 1; i > 0; i -= 1) {
    const j = prng.below(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let found = 0;
  started = performance.now();
  for (let k = 0; k < entries; k += 1) {
    const i = order[k]!;
    if (index.lookup(ids.subarray(i * 32, i * 32 + 32)) !== undefined) found += 1;
  }
  const lookupSeconds = (performance.now() - started) / 1000;
  const misses = Math.min(entries, 1_000_000);
  const miss = new Uint8Array(misses * 32);
  prng.fill(miss);
  started = performance.now();
  for (let k = 0; k < misses; k += 1) if (index.has(miss.subarray(k * 32, k * 32 + 32))) found -= 1;
  const missSeconds = (performance.now() - started) / 1000;
  if (found !== entries || index.size !== entries) {
    throw new CairnError('ERR_INTEGRITY', `The blob index found ${found} of ${entries} ids it was given (size ${index.size}).`);
  }
  const grown = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  return {
    entries,
    packs: index.packCount,
    bytesPerEntry: grown / entries,
    ownBytesPerEntry: index.memoryBytes() / entries,
    insertSeconds,
    insertsPerSecond: entries / insertSeconds,
    lookupsPerSecond: entries / lookupSeconds,
    missesPerSecond: misses / missSeconds,
  };
}
