import { CairnError } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { acquireReadLease } from '../locks/lease.js';
import { snapshotPath } from '../repo/names.js';
import { findSnapshot } from '../repo/snapshots.js';
import type { SnapshotFilter } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { fileContent, lookupNode } from '../tree/file-lookup.js';
import { snapshotPathOf } from './file-versions.js';

/** A file of a snapshot, found: where it is and its node. */
export interface FoundFile {
  readonly snapshotId: string;
  /** Its path in the snapshot ("proj/src/a.ts"). */
  readonly path: string;
  readonly node: TreeNode;
}

/**
 * Finds the file at `path` (a path in the snapshot, or an absolute path below its recorded
 * paths: snapshotPathOf) in the snapshot `ref` names. ERR_NOT_FOUND when it is not there,
 * ERR_USAGE when it is a folder, a symlink or another entry that is not a file.
 */
export async function findFile(repo: Repository, ref: string, path: string, options: { readonly filter?: SnapshotFilter } = {}): Promise<FoundFile> {
  const { id, snapshot } = await findSnapshot(repo, ref, options.filter === undefined ? {} : { filter: options.filter });
  const parts = snapshotPathOf(snapshot, path);
  const where = `snapshot ${id.slice(0, 8)}`;
  if (parts.length === 0) throw new CairnError('ERR_USAGE', `the path ${JSON.stringify(path)} names no file of ${where}`, { hint: `list the snapshot with \`cairn ls ${id.slice(0, 8)}\`` });
  const inSnapshot = snapshotPath(parts);
  const node = await lookupNode(repo, snapshot.tree, parts, where);
  if (node === null) throw new CairnError('ERR_NOT_FOUND', `${where} has no ${inSnapshot}`, { hint: `list the snapshot with \`cairn ls ${id.slice(0, 8)}\`` });
  if (node.type === 'dir') {
    throw new CairnError('ERR_USAGE', `${inSnapshot} is a folder in ${where}, not a file`, {
      hint: `restore a folder with \`cairn restore ${id.slice(0, 8)} --target <dir> ${inSnapshot}\``,
    });
  }
  if (node.type === 'symlink') throw new CairnError('ERR_USAGE', `${inSnapshot} is a symlink in ${where} (to ${node.linkTarget ?? '?'}), not a file`, { hint: 'name the file it points to' });
  if (node.type !== 'file') throw new CairnError('ERR_USAGE', `${inSnapshot} is a ${node.type} in ${where}, not a file`);
  return { snapshotId: id, path: inSnapshot, node };
}

/**
 * The bytes of one file of a snapshot (see findFile), blob by blob, each checked against its id:
 * memory holds one blob at a time. Any error about the path comes before the first bytes.
 */
export async function* dumpFile(repo: Repository, ref: string, path: string, options: { readonly filter?: SnapshotFilter; readonly signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
  // A lease for the whole read: no prune deletes a pack while it is read.
  const lease = await acquireReadLease(repo, 'dump');
  try {
    const found = await findFile(repo, ref, path, options);
    yield* fileContent(repo, found.node, `${found.path} in snapshot ${found.snapshotId.slice(0, 8)}`, options.signal);
  } finally {
    await lease?.release();
  }
}
