import { groupKey, storedShare } from '../repo/blob-group.js';
import { toHex } from '@cairn/core';
import { withReadLease } from '../locks/lease.js';
import { collectBlobs } from '../tree/reachability.js';
import { listSnapshots } from '../repo/snapshots.js';
import { createTreeSizer } from '../tree/tree-size.js';
import type { Repository } from '../repo/repository.js';

/** Sizes and counts of a repository. */
export interface RepositoryStats {
  readonly snapshots: number;
  readonly packs: number;
  /** Bytes of all pack files. */
  readonly packBytes: number;
  readonly dataBlobs: number;
  readonly treeBlobs: number;
  /** Plaintext bytes of the unique data blobs. */
  readonly uniqueBytes: number;
  /** Stored (compressed) bytes of the unique data blobs. */
  readonly storedBytes: number;
  /** Files and bytes a restore of every snapshot would write. */
  readonly restoreFiles: number;
  readonly restoreBytes: number;
  /** uniqueBytes / storedBytes. */
  readonly compressionRatio: number;
  /** restoreBytes / uniqueBytes. */
  readonly dedupRatio: number;
  /** Stored bytes of the blobs some snapshot references (its trees, files and saved VCS data): what prune keeps. */
  readonly usedBytes: number;
  /** Stored bytes of indexed blobs no snapshot references: what a prune frees (packs no index names aside). */
  readonly unusedBytes: number;
  /** Data blobs stored as deltas against another blob (docs/FORMAT.md, "Delta blobs"). */
  readonly deltaBlobs: number;
  /** Plaintext bytes of those deltas, and the bytes they are stored in. */
  readonly deltaBytes: number;
  readonly deltaStoredBytes: number;
  /** Data blobs stored as members of a group sharing one frame (docs/FORMAT.md, "Grouped small blobs"), and the groups. */
  readonly groupedBlobs: number;
  readonly groups: number;
}

/** Counts what the repository holds and what its snapshots would restore. */
export async function stats(repo: Repository): Promise<RepositoryStats> {
  let packs = 0;
  let packBytes = 0;
  for await (const file of repo.backend.list('data')) {
    packs += 1;
    packBytes += file.size;
  }
  let dataBlobs = 0;
  let treeBlobs = 0;
  let uniqueBytes = 0;
  let storedBytes = 0;
  let treeStoredBytes = 0;
  let deltaBlobs = 0;
  let deltaBytes = 0;
  let deltaStoredBytes = 0;
  let groupedBlobs = 0;
  const groups = new Set<string>();
  for (const [, location] of repo.index.entries()) {
    if (location.type === 'tree') {
      treeBlobs += 1;
      treeStoredBytes += location.length;
      continue;
    }
    dataBlobs += 1;
    uniqueBytes += location.rawLength;
    storedBytes += storedShare(location);
    if (location.codec === 'group') {
      groupedBlobs += 1;
      groups.add(groupKey(location.packId, location.offset));
    }
    if (location.codec === 'delta') {
      deltaBlobs += 1;
      deltaBytes += location.rawLength;
      deltaStoredBytes += location.length;
    }
  }
  const { snapshots } = await listSnapshots(repo);
  const used = new Set<string>();
  await withReadLease(repo, { purpose: 'stats' }, () => collectBlobs(repo, snapshots, used));
  let usedBytes = 0;
  for (const [id, location] of repo.index.entries()) if (used.has(toHex(id))) usedBytes += storedShare(location);
  const treeSize = createTreeSizer(repo);
  let restoreFiles = 0;
  let restoreBytes = 0;
  for (const { snapshot } of snapshots) {
    const size = await treeSize(snapshot.tree);
    restoreFiles += size.files;
    restoreBytes += size.bytes;
  }
  // A group member's share of its frame is fractional: the totals are whole bytes.
  storedBytes = Math.round(storedBytes);
  usedBytes = Math.round(usedBytes);
  return {
    snapshots: snapshots.length,
    packs,
    packBytes,
    dataBlobs,
    treeBlobs,
    uniqueBytes,
    storedBytes,
    restoreFiles,
    restoreBytes,
    compressionRatio: storedBytes === 0 ? 1 : uniqueBytes / storedBytes,
    dedupRatio: uniqueBytes === 0 ? 1 : restoreBytes / uniqueBytes,
    usedBytes,
    unusedBytes: storedBytes + treeStoredBytes - usedBytes,
    deltaBlobs,
    deltaBytes,
    deltaStoredBytes,
    groupedBlobs,
    groups: groups.size,
  };
}
