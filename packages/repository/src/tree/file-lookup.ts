import { CairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { snapshotPath } from '../repo/names.js';
import type { BlobLoader, TreeLoader } from '../repo/repository.js';

/** A TreeLoader that loads each tree once (by tree id) and counts the loads it made. */
export interface TreeCache extends TreeLoader {
  /** How many distinct trees were read from the repository. */
  readonly loads: number;
}

/** Memoises `repo.loadTree` by tree id: snapshots share most of their trees, so a path looked up in many snapshots reads each tree once. */
export function createTreeCache(repo: TreeLoader): TreeCache {
  const trees = new Map<string, Promise<TreeNode[]>>();
  let loads = 0;
  return {
    get loads() {
      return loads;
    },
    loadTree(id: Id, where: string): Promise<TreeNode[]> {
      const key = toHex(id);
      let tree = trees.get(key);
      if (tree === undefined) {
        loads += 1;
        tree = repo.loadTree(id, where);
        trees.set(key, tree);
        tree.catch(() => trees.delete(key));
      }
      return tree;
    },
  };
}

/**
 * The node at `parts` below the tree `root`, or null when there is none (a missing name, or a
 * name below something that is not a folder). `[]` names no node: ERR_USAGE.
 */
export async function lookupNode(repo: TreeLoader, root: Id, parts: readonly string[], where: string): Promise<TreeNode | null> {
  if (parts.length === 0) throw new CairnError('ERR_USAGE', `${where}: an empty path names no file`);
  let tree: Id | undefined = root;
  let node: TreeNode | undefined;
  for (const [i, part] of parts.entries()) {
    if (tree === undefined) return null;
    const nodes: TreeNode[] = await repo.loadTree(tree, `tree of ${snapshotPath(parts.slice(0, i)) || '/'} in ${where}`);
    node = nodes.find((n) => n.name === part);
    if (node === undefined) return null;
    tree = node.subtree;
  }
  return node ?? null;
}

/**
 * The bytes of a file node, blob by blob in order, each checked against its id as it is read
 * (one blob in memory at a time). A file recorded by reference (`--vcs changes`) has no stored
 * bytes: ERR_UNSUPPORTED naming `path`.
 */
export async function* fileContent(repo: BlobLoader, node: TreeNode, path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (node.type !== 'file') throw new TypeError(`fileContent wants a file node, not a ${node.type} (${path})`);
  if (node.content === undefined) {
    throw new CairnError('ERR_UNSUPPORTED', `${path} is recorded by reference to its version control (${node.ref === undefined ? 'no content' : `object ${node.ref.id}`}), not stored`, {
      hint: 'restore the snapshot with `cairn restore`, which rebuilds the working copy from its remote',
    });
  }
  for (const id of node.content) {
    if (signal?.aborted === true) throw new CairnError('ERR_ABORTED', `reading ${path} was stopped`);
    yield await repo.loadBlob(id, 'data');
  }
}
