import { CairnError, shortId } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { snapshotPath } from '../repo/names.js';
import { acquireReadLease } from '../locks/lease.js';
import { findSnapshot } from '../repo/snapshots.js';
import type { Repository, TreeLoader } from '../repo/repository.js';

/** One entry of a snapshot listing. */
export interface ListEntry {
  /** The entry's path in the snapshot, '/'-separated, without a leading '/'. */
  readonly path: string;
  readonly node: TreeNode;
}

/** Lists a snapshot, or the part below `path`, depth-first in name order. */
export async function* listSnapshot(
  repo: Repository,
  ref: string,
  path = '',
  options: { recursive?: boolean } = {},
): AsyncGenerator<ListEntry> {
  // A lease for the whole listing: no prune deletes a tree pack while it is read.
  const lease = await acquireReadLease(repo, 'ls');
  try {
    yield* list(repo, ref, path, options);
  } finally {
    await lease?.release();
  }
}

async function* list(repo: Repository, ref: string, path: string, options: { recursive?: boolean }): AsyncGenerator<ListEntry> {
  const { id, snapshot } = await findSnapshot(repo, ref);
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  let tree: Id = snapshot.tree;
  for (const [i, part] of parts.entries()) {
    const nodes = await repo.loadTree(tree, `tree of ${snapshotPath(parts.slice(0, i)) || '/'} in snapshot ${shortId(id)}`);
    const node = nodes.find((n) => n.name === part);
    if (node === undefined) {
      throw new CairnError('ERR_NOT_FOUND', `snapshot ${shortId(id)} has no ${snapshotPath(parts.slice(0, i + 1))}`);
    }
    if (i === parts.length - 1) yield { path: snapshotPath(parts), node };
    if (node.subtree === undefined) {
      if (i < parts.length - 1) throw new CairnError('ERR_NOT_FOUND', `snapshot ${shortId(id)}: ${snapshotPath(parts.slice(0, i + 1))} is not a folder`);
      return;
    }
    tree = node.subtree;
  }
  yield* walk(repo, tree, parts, options.recursive ?? true);
}

async function* walk(repo: TreeLoader, tree: Id, parts: readonly string[], recursive: boolean): AsyncGenerator<ListEntry> {
  for (const node of await repo.loadTree(tree, `tree of ${snapshotPath(parts) || '/'}`)) {
    const childParts = [...parts, node.name];
    yield { path: snapshotPath(childParts), node };
    if (recursive && node.subtree !== undefined) yield* walk(repo, node.subtree, childParts, recursive);
  }
}
