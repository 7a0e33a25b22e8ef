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
   * Features held at most (about 1,000 chunks, a GiB of recent data): past it the oldest chunks
   * are forgotten, so a backup of a terabyte keeps a few MB here, not gigabytes. A base older
   * than that is still in the repository, but no longer found.
   */
  maxFeatures: 262_144,
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

export function createResemblanceIndex(maxFeatures: number = RESEMBLANCE.maxFeatures): ResemblanceIndex {
  const byFeature = new Map<number, Id[]>();
  // The chunks remembered, oldest first, with the features each was filed under.
  const order: ({ id: Id; features: number[] } | undefined)[] = [];
  let oldest = 0;
  let size = 0;
  const forgetOldest = (): void => {
    const { id, features } = order[oldest]!;
    order[oldest] = undefined; // let go at once; the slots before `oldest` are dropped in bulk
    oldest += 1;
    if (oldest > 1024 && oldest * 2 > order.length) {
      order.splice(0, oldest);
      oldest = 0;
    }
    for (const feature of features) {
      const ids = byFeature.get(feature);
      const at = ids?.indexOf(id) ?? -1;
      if (ids === undefined || at < 0) continue; // pushed out by later chunks already
      ids.splice(at, 1);
      if (ids.length === 0) byFeature.delete(feature);
    }
    size -= features.length;
  };
  return {
    get size() {
      return size;
    },
    candidate(features) {
      if (features.length === 0) return undefined;
      const score = new Map<Id, number>();
      let best: Id | undefined;
      let bestScore = 0;
      for (const feature of new Set(features)) {
        for (const id of byFeature.get(feature) ?? []) {
          const n = (score.get(id) ?? 0) + 1;
          score.set(id, n);
          if (n > bestScore) {
            best = id;
            bestScore = n;
          }
        }
      }
      return bestScore >= RESEMBLANCE.minShared && bestScore * RESEMBLANCE.minShareOf >= features.length ? best : undefined;
    },
    add(features, id) {
      const filed: number[] = [];
      for (const feature of new Set(features)) {
        const ids = byFeature.get(feature);
        if (ids === undefined) byFeature.set(feature, [id]);
        else if (!ids.includes(id)) {
          if (ids.length >= RESEMBLANCE.perFeature) ids.shift();
          ids.push(id);
        } else continue;
        filed.push(feature);
      }
      if (filed.length === 0) return;
      order.push({ id, features: filed });
      size += filed.length;
      while (size > maxFeatures && oldest < order.length - 1) forgetOldest();
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
