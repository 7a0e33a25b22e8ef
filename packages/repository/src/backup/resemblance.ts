import type { Id } from '@cairn/core';
import { SIMILAR_MIN } from '../write/blob-writer.js';

/**
 * How the resemblance search samples a chunk. Features are the values of a 32-byte rolling (gear)
 * hash at the positions where its top bits are zero (1 in 1,024 positions, so about 256 per
 * sampled stretch), taken from the chunk's first `prefix` bytes only: a chunk starts where the
 * content says (content-defined chunking), so a near-copy's chunk starts at the same content and
 * its prefix yields the same features, at a quarter of the cost of a whole 1 MiB chunk.
 * Measured on the first of nine typescript releases (32 MB, benchmarks/BENCHMARKS.md, issue 16):
 * the chunks' plain frames 6.15 MB, with these bases 4.45 MB; the whole chunk sampled 4.46 MB,
 * a 128 KiB prefix 4.90 MB.
 */
export const RESEMBLANCE = Object.freeze({
  /** Chunks this long or longer are sampled (the blob writer keeps these as possible bases). */
  minChunk: SIMILAR_MIN,
  prefix: 256 * 1024,
  /** The hash's top 10 bits (those that depend on all of its 32 bytes) zero: 1 position in 1,024. */
  mask: 0xffc00000 | 0,
  /** Blobs remembered per feature (the latest), so a lookup stays short on repetitive data. */
  perFeature: 4,
  /** A candidate shares at least this many features, and at least 1/minShareOf of the chunk's. */
  minShared: 2,
  minShareOf: 4,
  /**
   * Features held at most (about 750 chunks, 750 MiB of recent data): past it the oldest chunks
   * are forgotten, so a backup of a terabyte keeps a few MB here, not gigabytes. A base older
   * than that is still in the repository, but no longer found. Three quarters of 2^18: V8's Map
   * of the features then keeps a table of 2^18 entries (7.3 MB) with room for the forgotten ones
   * until it is rebuilt; at 2^18 features it took one of 2^19 (14.7 MB: benchmarks/BENCHMARKS.md,
   * issue 15).
   */
  maxFeatures: 196_608,
});

const GEAR = gearTable();

/** The features of a chunk (RESEMBLANCE); empty for a chunk shorter than `minChunk`. */
export function sketch(chunk: Uint8Array): number[] {
  const features: number[] = [];
  if (chunk.length < RESEMBLANCE.minChunk) return features;
  const end = Math.min(chunk.length, RESEMBLANCE.prefix);
  let hash = 0;
  for (let i = 0; i < end; i += 1) {
    hash = ((hash << 1) + GEAR[chunk[i]!]!) | 0;
    if ((hash & RESEMBLANCE.mask) === 0) features.push(hash);
  }
  return features;
}

/**
 * Whole blobs written by one backup, found by resemblance: a new chunk with no parent file (a new
 * path, or a first backup) takes as its delta base the earlier chunk that shares the most of its
 * features, so near-copies of a file within one tree (a bundle and its variants, translations of
 * one table) are stored as deltas of each other.
 */
export interface ResemblanceIndex {
  /** The remembered blob sharing the most features with `features` (enough of them), else undefined. */
  candidate(features: readonly number[]): Id | undefined;
  /** Remembers `id` under its features (forgetting the oldest chunks past `maxFeatures`). */
  add(features: readonly number[], id: Id): void;
  /** Features held now (at most `maxFeatures`, plus one chunk's). */
  readonly size: number;
}

/** A chunk the index remembers: its id, the features it was filed under, and its score in the lookup that last met it. */
interface Remembered {
  readonly id: Id;
  readonly features: number[];
  score: number;
  lookup: number;
}

/**
 * The chunks filed under one feature, latest last: most features of a backup are met once, so
 * one chunk is held as itself and only a feature met again gets an array (an array per feature
 * held 35 MB for the 262,144 features of a large file's backup: benchmarks/BENCHMARKS.md, issue 15).
 */
type Filed = Remembered | Remembered[];

export function createResemblanceIndex(maxFeatures: number = RESEMBLANCE.maxFeatures): ResemblanceIndex {
  const byFeature = new Map<number, Filed>();
  // The chunks remembered, oldest first.
  const order: (Remembered | undefined)[] = [];
  let oldest = 0;
  let size = 0;
  // Lookups and additions allocate nothing per chunk: a score lives on the chunk it counts,
  // valid for the lookup numbered `lookup`, and features are told apart with `distinct`.
  let lookups = 0;
  const distinct = createDistinct();
  const forgetOldest = (): void => {
    const chunk = order[oldest]!;
    order[oldest] = undefined; // let go at once; the slots before `oldest` are dropped in bulk
    oldest += 1;
    if (oldest > 1024 && oldest * 2 > order.length) {
      order.splice(0, oldest);
      oldest = 0;
    }
    for (const feature of chunk.features) {
      const filed = byFeature.get(feature);
      if (filed === chunk) byFeature.delete(feature);
      else if (Array.isArray(filed)) {
        const at = filed.indexOf(chunk);
        if (at < 0) continue; // pushed out by later chunks already
        filed.splice(at, 1);
        if (filed.length === 1) byFeature.set(feature, filed[0]!);
      }
    }
    size -= chunk.features.length;
  };
  let best: Remembered | undefined;
  let bestScore = 0;
  const count = (chunk: Remembered): void => {
    if (chunk.lookup !== lookups) {
      chunk.lookup = lookups;
      chunk.score = 0;
    }
    chunk.score += 1;
    if (chunk.score > bestScore) {
      best = chunk;
      bestScore = chunk.score;
    }
  };
  return {
    get size() {
      return size;
    },
    candidate(features) {
      if (features.length === 0) return undefined;
      lookups += 1;
      best = undefined;
      bestScore = 0;
      distinct.reset(features.length);
      for (const feature of features) {
        if (!distinct.first(feature)) continue;
        const filed = byFeature.get(feature);
        if (filed === undefined) continue;
        if (Array.isArray(filed)) for (const chunk of filed) count(chunk);
        else count(filed);
      }
      const found = best as Remembered | undefined; // set by count()
      best = undefined;
      return bestScore >= RESEMBLANCE.minShared && bestScore * RESEMBLANCE.minShareOf >= features.length ? found?.id : undefined;
    },
    add(features, id) {
      const chunk: Remembered = { id, features: [], score: 0, lookup: 0 };
      distinct.reset(features.length);
      for (const feature of features) {
        if (!distinct.first(feature)) continue;
        const filed = byFeature.get(feature);
        if (filed === undefined) byFeature.set(feature, chunk);
        else if (!Array.isArray(filed)) byFeature.set(feature, [filed, chunk]);
        else {
          if (filed.length >= RESEMBLANCE.perFeature) filed.shift();
          filed.push(chunk);
        }
        chunk.features.push(feature);
      }
      if (chunk.features.length === 0) return;
      order.push(chunk);
      size += chunk.features.length;
      while (size > maxFeatures && oldest < order.length - 1) forgetOldest();
    },
  };
}

/**
 * Tells the first time a feature is met apart from a repeat, among up to a few thousand per chunk,
 * without a Set per chunk: an open-addressed table of the features met, cleared by a generation
 * number rather than by filling.
 */
function createDistinct(): { reset(count: number): void; first(feature: number): boolean } {
  let keys = new Int32Array(1024);
  let marks = new Uint32Array(1024);
  let mask = 1023;
  let generation = 0;
  return {
    reset(count) {
      if (count * 2 > keys.length) {
        let size = keys.length;
        while (count * 2 > size) size *= 2;
        keys = new Int32Array(size);
        marks = new Uint32Array(size);
        mask = size - 1;
        generation = 0;
      }
      generation += 1;
      if (generation === 0xffff_ffff) {
        marks.fill(0);
        generation = 1;
      }
    },
    first(feature) {
      for (let slot = (Math.imul(feature, 0x9e3779b1) >>> 0) & mask; ; slot = (slot + 1) & mask) {
        if (marks[slot] !== generation) {
          marks[slot] = generation;
          keys[slot] = feature;
          return true;
        }
        if (keys[slot] === feature) return false;
      }
    },
  };
}

/** 256 pseudo-random 32-bit values (xorshift32 from a fixed seed): the gear hash's byte table. */
function gearTable(): Int32Array {
  const table = new Int32Array(256);
  let state = 0x9e3779b9;
  for (let i = 0; i < 256; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    table[i] = state;
  }
  return table;
}
