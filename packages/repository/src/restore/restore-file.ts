import { CairnError } from '@cairn/core';
import type { Target } from '@cairn/core';
import { withReadLease } from '../locks/lease.js';
import { snapshotPath } from '../repo/names.js';
import { findSnapshot } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { fileContent, lookupNode } from '../tree/file-lookup.js';

/** Options of restoreFile. */
export interface RestoreFileOptions {
  readonly target: Target;
  /** The file's name in the target's root folder (created with its parents when missing). */
  readonly name: string;
  /** Replace a file already there (default false: ERR_EXISTS, nothing written). */
  readonly overwrite?: boolean;
  readonly signal?: AbortSignal;
}

/** What restoreFile wrote. */
export interface RestoreFileResult {
  readonly snapshotId: string;
  /** The file's path in the snapshot. */
  readonly path: string;
  readonly size: number;
}

/**
 * Restores one file of a snapshot (`path` as in the snapshot: "proj/src/a.ts") under another name:
 * `name` in the target's root. The bytes stream blob by blob, each checked against its id, into
 * a temporary file renamed over `name` when complete, then the file gets its mode, owner (where
 * permitted) and mtime. An entry already at `name` is kept (ERR_EXISTS) unless `overwrite`; a
 * folder there always is.
 */
export async function restoreFile(repo: Repository, snapshotRef: string, path: string, options: RestoreFileOptions): Promise<RestoreFileResult> {
  return withReadLease(repo, { purpose: 'restore', ...(options.signal === undefined ? {} : { signal: options.signal }) }, async () => {
    const { id, snapshot } = await findSnapshot(repo, snapshotRef);
    const parts = path.split('/').filter((part) => part !== '' && part !== '.');
    const where = `snapshot ${id.slice(0, 8)}`;
    const node = await lookupNode(repo, snapshot.tree, parts, where);
    if (node === null) throw new CairnError('ERR_NOT_FOUND', `${where} has no ${snapshotPath(parts)}`);
    if (node.type !== 'file') throw new CairnError('ERR_USAGE', `${snapshotPath(parts)} is a ${node.type === 'dir' ? 'folder' : node.type} in ${where}, not a file`);
    if (node.content === undefined) {
      throw new CairnError('ERR_UNSUPPORTED', `${snapshotPath(parts)} in ${where} is recorded by reference to its version control, not stored: nothing was written`, {
        hint: 'restore the snapshot with `cairn restore`, which rebuilds the working copy from its remote',
      });
    }
    const destination = `${options.target.location}/${options.name}`;
    const existing = await options.target.lstat([options.name]);
    if (existing !== null && (options.overwrite !== true || existing.type === 'dir')) {
      throw new CairnError('ERR_EXISTS', `${destination} already exists${existing.type === 'dir' ? ' and is a folder' : ''}: nothing was written`, {
        hint: existing.type === 'dir' ? 'choose another target' : 'give --overwrite to replace it, or choose another target',
      });
    }
    await options.target.mkdir([]);
    await options.target.writeFile([options.name], fileContent(repo, node, `${snapshotPath(parts)} in ${where}`, options.signal));
    await options.target.setMetadata([options.name], 'file', { mode: node.mode, mtimeNs: node.mtimeNs, uid: node.uid, gid: node.gid });
    return { snapshotId: id, path: snapshotPath(parts), size: node.size };
  });
}
