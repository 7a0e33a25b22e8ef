import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { listSnapshots } from './snapshots.js';
import type { Repository } from './repository.js';

/** The blobs that snapshots reference, gathered snapshot by snapshot. */
export interface References {
  /** Hex ids of the tree and data blobs of every snapshot walked so far. */
  readonly blobs: ReadonlySet<string>;
  /** Ids of the snapshots walked so far. */
  readonly snapshots: ReadonlySet<string>;
  /**
   * Lists the snapshots there are now, loads the index again (after the listing, so every
   * blob a listed snapshot uses is in it) and walks the snapshots not walked yet. Throws
   * ERR_INTEGRITY when a snapshot or one of its trees cannot be read: what it references
   * is unknown, so nothing may be deleted.
   */
  update(): Promise<void>;
}

/** Starts an empty set of references over a repository. */
export function createReferences(repo: Repository, signal?: AbortSignal): References {
  const blobs = new Set<string>();
  const walked = new Set<string>();
  const seenTrees = new Set<string>();

  const walk = async (root: Id, snapshotId: string): Promise<void> => {
    const stack: { id: Id; path: string }[] = [{ id: root, path: '/' }];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const hex = toHex(next.id);
      if (seenTrees.has(hex)) continue;
      if (signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'stopped while reading snapshots');
      let nodes: TreeNode[];
      try {
        nodes = await repo.loadTree(next.id, `tree ${hex} (snapshot ${snapshotId.slice(0, 12)}: ${next.path})`);
      } catch (error) {
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
        throw new CairnError('ERR_INTEGRITY', `cannot read what snapshot ${snapshotId.slice(0, 12)} holds at ${next.path}: ${error.message}`, {
          hint: 'nothing was deleted; run `cairn check`, then `cairn repair index` or `cairn repair snapshots`',
          cause: error,
        });
      }
      seenTrees.add(hex);
      blobs.add(hex);
      for (const node of nodes) {
        for (const id of node.content ?? []) blobs.add(toHex(id));
        if (node.subtree !== undefined) stack.push({ id: node.subtree, path: `${next.path === '/' ? '' : next.path}/${node.name}` });
      }
    }
  };

  return {
    blobs,
    snapshots: walked,
    async update() {
      const { snapshots, problems } = await listSnapshots(repo);
      const problem = problems[0];
      if (problem !== undefined) {
        throw new CairnError('ERR_INTEGRITY', `${problem.file} cannot be read (${problem.error.message}), so what it references is unknown`, {
          hint: 'nothing was deleted; run `cairn check` to see the damage',
        });
      }
      await repo.reloadIndex();
      for (const { id, snapshot } of snapshots) {
        if (walked.has(id)) continue;
        await walk(snapshot.tree, id);
        walked.add(id);
      }
    },
  };
}
