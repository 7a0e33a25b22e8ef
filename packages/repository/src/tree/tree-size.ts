import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { TreeLoader } from '../repo/repository.js';

/** Files below a tree and the sum of their sizes: what a restore of it writes. */
export interface TreeSize {
  readonly files: number;
  readonly bytes: number;
}

/** Measures trees of a repository; a tree shared by several snapshots or folders is read once. */
export function createTreeSizer(repo: TreeLoader): (tree: Id) => Promise<TreeSize> {
  const sizes = new Map<string, Promise<TreeSize>>();
  const size = (tree: Id): Promise<TreeSize> => {
    const hex = toHex(tree);
    let known = sizes.get(hex);
    if (known === undefined) {
      known = (async () => {
        let files = 0;
        let bytes = 0;
        for (const node of await repo.loadTree(tree, `tree ${hex}`)) {
          if (node.subtree !== undefined) {
            const sub = await size(node.subtree);
            files += sub.files;
            bytes += sub.bytes;
          } else if (node.type === 'file') {
            files += 1;
            bytes += node.size;
          }
        }
        return { files, bytes };
      })();
      sizes.set(hex, known);
    }
    return known;
  };
  return size;
}
