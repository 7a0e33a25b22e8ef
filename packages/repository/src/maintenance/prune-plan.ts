import { toHex } from '@cairn/core';
import type { PackedBlob } from '@cairn/core';
import { storedShare } from '../repo/blob-group.js';

/** How much of a pack the snapshots use. Each used blob counts in one pack only (duplicates are unused). */
export interface PackUsage {
  /** Hex id. */
  readonly id: string;
  readonly size: number;
  readonly blobs: readonly PackedBlob[];
  /** The blobs of this pack that snapshots use and that no pack before it holds. */
  readonly used: PackedBlob[];
  usedBytes: number;
  unusedBytes: number;
}

/** What prune's mark phase will do. */
export interface PrunePlan {
  /** Indexed packs no snapshot uses. */
  readonly unused: PackUsage[];
  /** Partly used packs chosen for repacking: their used blobs go to new packs, then they go. */
  readonly repack: PackUsage[];
  /** Packs in data/ that no index names (an interrupted backup, a prune killed while repacking). */
  readonly unindexed: { readonly id: string; readonly size: number }[];
  /** Packs an index names that are not in data/ (damage). */
  readonly missingPacks: string[];
  /** Hex ids of blobs snapshots use that no indexed pack in data/ holds (damage). */
  readonly missingBlobs: string[];
  /** Stored bytes of used blobs, and of unused ones in the packs that stay. */
  readonly usedBytes: number;
  readonly unusedBytesAfter: number;
}

/** Inputs of planPrune. */
export interface PlanInput {
  /** Every indexed pack (hex id) and its blobs, duplicates included. */
  readonly packs: ReadonlyMap<string, readonly PackedBlob[]>;
  /** Every pack file in data/ and its size. */
  readonly sizes: ReadonlyMap<string, number>;
  /** Hex ids of every blob the snapshots use. */
  readonly referenced: ReadonlySet<string>;
  /** Packs already marked by an earlier prune: left alone, and credited with a used blob after the others. */
  readonly pending: ReadonlySet<string>;
  /** Packs indexed after the snapshots were read (a backup running now): left alone, credited last. */
  readonly fresh: ReadonlySet<string>;
  /** The share of the repository that may stay unused, in [0, 1] (1: never repack). */
  readonly maxUnused: number;
}

/**
 * Decides what to mark: every used blob is credited to the first pack holding it (pending
 * and fresh packs last), so duplicates count as unused; packs with nothing used are unused; partly
 * used packs are repacked, the emptiest first, until the unused bytes left are at most
 * maxUnused of what remains (restic's --max-unused).
 */
export function planPrune(input: PlanInput): PrunePlan {
  if (!(input.maxUnused >= 0 && input.maxUnused <= 1)) throw new RangeError(`maxUnused must be a share between 0 and 1, not ${input.maxUnused}`);
  const rank = (id: string): number => (input.fresh.has(id) ? 2 : input.pending.has(id) ? 1 : 0);
  const ordered = [...input.packs.keys()].sort((a, b) => rank(a) - rank(b));
  const claimed = new Set<string>();
  const usages: PackUsage[] = [];
  const missingPacks: string[] = [];
  for (const id of ordered) {
    const size = input.sizes.get(id);
    if (size === undefined) {
      missingPacks.push(id);
      continue;
    }
    const blobs = input.packs.get(id) ?? [];
    const usage: PackUsage = { id, size, blobs, used: [], usedBytes: 0, unusedBytes: 0 };
    for (const blob of blobs) {
      const hex = toHex(blob.id);
      if (input.referenced.has(hex) && !claimed.has(hex)) {
        claimed.add(hex);
        usage.used.push(blob);
        usage.usedBytes += storedShare(blob);
      } else {
        usage.unusedBytes += storedShare(blob);
      }
    }
    if (rank(id) === 0) usages.push(usage);
  }
  const missingBlobs = [...input.referenced].filter((hex) => !claimed.has(hex));

  const unused = usages.filter((u) => u.used.length === 0);
  const partial = usages.filter((u) => u.used.length > 0 && u.unusedBytes > 0);
  const usedBytes = usages.reduce((sum, u) => sum + u.usedBytes, 0);
  let unusedAfter = partial.reduce((sum, u) => sum + u.unusedBytes, 0);
  // unused <= p * (used + unused)  <=>  unused <= p / (1 - p) * used
  const allowed = input.maxUnused >= 1 ? Infinity : (input.maxUnused / (1 - input.maxUnused)) * usedBytes;
  partial.sort((a, b) => b.unusedBytes / (b.unusedBytes + b.usedBytes) - a.unusedBytes / (a.unusedBytes + a.usedBytes) || b.unusedBytes - a.unusedBytes);
  const repack: PackUsage[] = [];
  for (const usage of partial) {
    if (unusedAfter <= allowed) break;
    repack.push(usage);
    unusedAfter -= usage.unusedBytes;
  }
  const unindexed = [...input.sizes]
    .filter(([id]) => !input.packs.has(id) && !input.pending.has(id))
    .map(([id, size]) => ({ id, size }));
  return { unused, repack, unindexed, missingPacks, missingBlobs, usedBytes, unusedBytesAfter: unusedAfter };
}
