import { Buffer } from 'node:buffer';
import { idEquals, isCairnError, toHex } from '@cairn/core';
import type { CodecName, Id } from '@cairn/core';
import type { Snapshot, TreeNode } from '@cairn/index';
import { withLease, withReadLease } from '../locks/lease.js';
import type { LockTimings } from '../locks/lock-files.js';
import { contentIds } from '../repo/content-ids.js';
import { byTime, listSnapshots, sameOrigin, saveSnapshot, selectSnapshots } from '../repo/snapshots.js';
import type { SnapshotEntry, SnapshotFilter } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { snapshotRoots, walkTreeListings, walkTrees } from '../tree/reachability.js';
import { createBlobWriter } from '../write/blob-writer.js';
import { copyDataBlobs } from './copy-blobs.js';
import { adoptTreePacks, copyTreesAsTheyAre, rewriteTrees } from './copy-trees.js';

/** The meta key of a copied snapshot whose ids changed: the source snapshot's id. */
export const COPIED_FROM = 'copied-from';
/** The meta key of a copied snapshot whose ids changed: the source snapshot's tree id (how a second copy knows it). */
export const COPIED_TREE = 'copied-tree';

/** Options of copySnapshots(). */
export interface CopyOptions {
  /** Source snapshots: full ids, unique prefixes or `latest`; none: every snapshot that passes `filter`. */
  readonly snapshots?: readonly string[];
  /** Narrows the source snapshots (--host, --path, --tag); a snapshot named by id must pass it too. */
  readonly filter?: SnapshotFilter;
  readonly signal?: AbortSignal;
  /** Hears what is done after each blob (and at each snapshot's start and end). */
  readonly onProgress?: (progress: CopyProgress) => void;
  /** Compression threads of the destination's blob writer (default: the CPUs). */
  readonly threads?: number;
  readonly lockTimings?: Partial<LockTimings>;
}

/** How far a copy is. */
export interface CopyProgress {
  readonly snapshotsDone: number;
  readonly snapshotsTotal: number;
  /** The source snapshot being copied (null between snapshots). */
  readonly snapshot: string | null;
  /** Data blobs of the current snapshot copied, and how many it needs (those the destination lacks). */
  readonly blobsDone: number;
  readonly blobsTotal: number;
  /** Plaintext bytes of those blobs. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** One source snapshot and what became of it. */
export interface CopiedSnapshot {
  /** Its id in the source repository. */
  readonly source: string;
  /** Its id in the destination: the new snapshot, or the one already there that made the copy skip it. */
  readonly destination: string;
}

/** What copySnapshots() did. */
export interface CopyResult {
  readonly copied: CopiedSnapshot[];
  /** Snapshots the destination already held (same tree, time, host and paths): nothing written for them. */
  readonly skipped: CopiedSnapshot[];
  /** Snapshots that could not be copied (damage in the source), each with its one-line reason. */
  readonly failed: { readonly source: string; readonly code: string; readonly message: string }[];
  /** What was added to the destination. */
  readonly dataBlobsAdded: number;
  readonly treeBlobsAdded: number;
  /** Pack files copied as they are (counted in packsAdded too): see packRule. */
  readonly packsCopiedWhole: number;
  readonly bytesAdded: number;
  readonly packsAdded: number;
  /** Plaintext bytes of the data blobs read from the source. */
  readonly bytesRead: number;
  /** False when the destination names content otherwise (another key, or one encrypted and one not): trees were rewritten. */
  readonly idsAlike: boolean;
  /**
   * True when the two repositories cut files with other chunker parameters: blobs are copied as
   * they are (not cut again), so later backups into the destination do not share them.
   */
  readonly chunkerDiffers: boolean;
}

/**
 * Copies snapshots with their trees and data from `source` into `destination` (restic's copy).
 * What a snapshot references comes from the reachability walk (tree/reachability.ts); data blobs
 * the destination lacks are read pack by pack, checked, and stored through the destination's
 * blob writer (write/): dedup against what it holds is kept; between two unencrypted repositories
 * that cut files alike, a pack whose every blob is wanted is copied as it is (packRule, the
 * writer's adoptPack; packsCopiedWhole counts them). When both repositories name
 * content alike (both unencrypted, or sharing the key's MAC key) blobs, trees and the snapshot
 * keep their ids; otherwise every data blob is hashed again with the destination's ids, the
 * trees are rewritten with the new ids, and the snapshot records its source in its meta
 * (COPIED_FROM, COPIED_TREE) with no parent. Blobs are never cut again (chunkerDiffers says when
 * the parameters differ). A snapshot the destination already holds (same time, host and paths,
 * and the same tree, or recorded as copied from this tree) is skipped, so a second copy adds
 * nothing. Each snapshot's packs and index file are written before its snapshot file, so an
 * interrupted copy leaves no snapshot without its data and the next copy reuses what is indexed.
 * Holds a read lease on the source and a lease on the destination (no prune deletes meanwhile).
 */
export async function copySnapshots(source: Repository, destination: Repository, options: CopyOptions = {}): Promise<CopyResult> {
  const timings = options.lockTimings === undefined ? {} : { timings: options.lockTimings };
  await destination.backend.removeStaleTemporaries?.(); // what killed writers (an interrupted copy) left, as a backup does
  return withReadLease(source, { purpose: 'copy (source)', ...timings }, () =>
    withLease(destination, { purpose: 'copy', ...timings }, () => copyLeased(source, destination, options)));
}

async function copyLeased(source: Repository, destination: Repository, options: CopyOptions): Promise<CopyResult> {
  const idsAlike = sameIdFunction(source, destination);
  const chunkerDiffers = ['min', 'avg', 'max'].some((key) => source.config.chunker[key as 'min'] !== destination.config.chunker[key as 'min']);
  const selected = (await selectSnapshots(source, options.snapshots ?? [], options.filter)).sort(byTime);
  const present = (await listSnapshots(destination)).snapshots;
  const copied: CopiedSnapshot[] = [];
  const skipped: CopiedSnapshot[] = [];
  const failed: CopyResult['failed'] = [];
  const packsAlike = packRule(source, destination, chunkerDiffers);
  const totals = { dataBlobsAdded: 0, treeBlobsAdded: 0, packsCopiedWhole: 0, bytesAdded: 0, packsAdded: 0, bytesRead: 0 };
  // Across snapshots: trees already walked (and so copied), and source ids → destination ids.
  let seen = new Set<string>();
  let mapped = new Map<string, Id>();
  const report = (progress: Omit<CopyProgress, 'snapshotsTotal'>): void => options.onProgress?.({ ...progress, snapshotsTotal: selected.length });
  for (const [n, entry] of selected.entries()) {
    const before = findCopy(present, entry.snapshot, idsAlike ? entry.snapshot.tree : null);
    if (before !== undefined) {
      skipped.push({ source: entry.id, destination: before.id });
      continue;
    }
    const writer = createBlobWriter(destination, options.threads === undefined ? {} : { threads: options.threads });
    let snapshot: Snapshot;
    try {
      // The one walk of what the snapshot references; each tree's listing kept when ids change.
      const needed = new Map<string, Id>();
      const treesToCopy: Id[] = [];
      const listings = new Map<string, readonly TreeNode[]>();
      const walkOptions = { seen, snapshotId: entry.id, ...(options.signal === undefined ? {} : { signal: options.signal }) };
      const want = (id: Id, hex: string): void => {
        if (!needed.has(hex)) needed.set(hex, id);
      };
      if (idsAlike) {
        // The references only: each tree read in place, no node objects.
        await walkTreeListings(source, snapshotRoots(entry.snapshot), ({ id, listing }) => {
          if (!writer.has(id)) treesToCopy.push(id);
          for (let i = 0; i < listing.length; i += 1) {
            const content = listing.content(i);
            if (content !== undefined) for (const blob of content) if (!writer.has(blob)) want(blob, toHex(blob));
          }
        }, walkOptions);
      } else {
        await walkTrees(source, snapshotRoots(entry.snapshot), (tree) => {
          listings.set(tree.hex, tree.nodes);
          for (const node of tree.nodes) {
            for (const blob of node.content ?? []) {
              const hex = toHex(blob);
              if (!mapped.has(hex)) want(blob, hex);
            }
          }
        }, walkOptions);
      }
      const progress = { snapshotsDone: n, snapshot: entry.id, blobsDone: 0, blobsTotal: needed.size, bytesDone: 0, bytesTotal: 0 };
      for (const id of needed.values()) progress.bytesTotal += source.index.lookup(id)?.rawLength ?? 0;
      report(progress);
      await copyDataBlobs(source, needed, { writer, idsAlike, mapped, packsAlike }, {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onBlob: (bytes, blobs = 1) => {
          progress.blobsDone += blobs;
          progress.bytesDone += bytes;
          totals.bytesRead += bytes;
          report(progress);
        },
      });
      if (idsAlike) {
        await copyTreesAsTheyAre(source, writer, packsAlike === null ? treesToCopy : await adoptTreePacks(source, writer, treesToCopy, packsAlike));
        snapshot = entry.snapshot;
      } else {
        snapshot = await rewrittenSnapshot(entry, writer, listings, mapped);
      }
      await writer.finish();
    } catch (error) {
      await writer.abort().catch(() => undefined);
      // What this snapshot walked or mapped may not be stored: the next snapshot starts afresh.
      seen = new Set();
      mapped = new Map();
      if (!isCairnError(error) || error.code === 'ERR_TRANSIENT' || error.code === 'ERR_ABORTED' || (error.code !== 'ERR_INTEGRITY' && error.code !== 'ERR_NOT_FOUND' && error.code !== 'ERR_FORMAT')) throw error;
      failed.push({ source: entry.id, code: error.code, message: error.message });
      continue;
    } finally {
      totals.dataBlobsAdded += writer.stats.dataBlobsAdded;
      totals.treeBlobsAdded += writer.stats.treeBlobsAdded;
      totals.bytesAdded += writer.stats.bytesAdded;
      totals.packsAdded += writer.stats.packsAdded;
      totals.packsCopiedWhole += writer.stats.packsAdopted;
    }
    const existing = findCopy(present, snapshot, snapshot.tree);
    if (existing !== undefined) {
      skipped.push({ source: entry.id, destination: existing.id });
      continue;
    }
    const id = await saveSnapshot(destination, snapshot);
    present.push({ id, snapshot });
    copied.push({ source: entry.id, destination: id });
    report({ snapshotsDone: n + 1, snapshot: null, blobsDone: 0, blobsTotal: 0, bytesDone: 0, bytesTotal: 0 });
  }
  return { copied, skipped, failed, ...totals, idsAlike, chunkerDiffers };
}

/**
 * Which codecs the destination may take in pack files copied as they are, or null when it takes
 * none: unless both repositories are unencrypted (pack files stored as their plaintext, named by
 * its SHA-256) and cut files alike, every blob goes through the destination's writer. Blobs
 * stored whole ('none', 'zstd') may go into any repository; a delta, or any later kind of entry,
 * only into one whose format version is at least the source's (a reader of the destination
 * reads every entry the source's format may hold).
 */
function packRule(source: Repository, destination: Repository, chunkerDiffers: boolean): ((codec: CodecName) => boolean) | null {
  if (chunkerDiffers || contentIds(source.backend).keyed || contentIds(destination.backend).keyed) return null;
  const later = destination.config.version >= source.config.version;
  return (codec) => codec === 'none' || codec === 'zstd' || later;
}

/** True when both repositories give the same content the same id (repo/content-ids.ts). */
function sameIdFunction(a: Repository, b: Repository): boolean {
  const ids = contentIds(a.backend);
  const other = contentIds(b.backend);
  if (!ids.keyed || !other.keyed) return ids.keyed === other.keyed;
  return ids.macKey !== undefined && other.macKey !== undefined && Buffer.compare(ids.macKey, other.macKey) === 0;
}

/**
 * The destination snapshot `snapshot` is a copy of, if any: the same time, host and paths, and
 * the tree `tree` (the snapshot's tree in the destination's ids, when known) or a record of
 * having been copied from the snapshot's tree.
 */
function findCopy(present: readonly SnapshotEntry[], snapshot: Snapshot, tree: Id | null): SnapshotEntry | undefined {
  const sourceTree = toHex(snapshot.tree);
  return present.find(({ snapshot: there }) => there.time === snapshot.time && sameOrigin(there, snapshot)
    && ((tree !== null && idEquals(there.tree, tree)) || there.meta[COPIED_TREE] === sourceTree));
}

/** The snapshot as the destination records it when ids change: new tree ids, no parent, its source in meta. */
async function rewrittenSnapshot(entry: SnapshotEntry, writer: Parameters<typeof rewriteTrees>[0], listings: ReadonlyMap<string, readonly TreeNode[]>, mapped: Map<string, Id>): Promise<Snapshot> {
  const s = entry.snapshot;
  const tree = await rewriteTrees(writer, listings, mapped, s.tree);
  const vcs = s.vcs === undefined ? undefined : await Promise.all(s.vcs.map(async (copy) => (copy.extras === null ? copy : { ...copy, extras: await rewriteTrees(writer, listings, mapped, copy.extras) })));
  return {
    ...s,
    tree,
    ...(vcs === undefined ? {} : { vcs }),
    parent: null,
    meta: { ...s.meta, [COPIED_FROM]: entry.id, [COPIED_TREE]: toHex(s.tree) },
  };
}


