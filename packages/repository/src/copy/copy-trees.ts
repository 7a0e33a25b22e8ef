import { idEquals, toHex } from '@cairn/core';
import type { CodecName, Id } from '@cairn/core';
import { encodeTree } from '@cairn/index';
import type { BlobLocation, TreeNode } from '@cairn/index';
import { packFileName } from '../repo/names.js';
import type { Repository } from '../repo/repository.js';
import type { BlobWriter } from '../write/blob-writer.js';
import { countBlobs, packOf } from './copy-blobs.js';

/**
 * Copies as they are the tree packs of `source` whose every indexed tree is in `trees` and of a
 * codec `accepts` allows (writer.adoptPack: checked against their names, headers against the
 * source's index); returns the trees left to copy one by one.
 */
export async function adoptTreePacks(source: Pick<Repository, 'backend' | 'index'>, writer: BlobWriter, trees: readonly Id[], accepts: (codec: CodecName) => boolean): Promise<Id[]> {
  const counts = countBlobs(source.index);
  const byPack = new Map<Id, { id: Id; location: BlobLocation }[]>();
  const left: Id[] = [];
  for (const id of trees) {
    const location = source.index.lookup(id);
    if (location === undefined || location.type !== 'tree' || !accepts(location.codec)) {
      left.push(id); // the one-by-one path names what is wrong with it
      continue;
    }
    let list = byPack.get(location.packId);
    if (list === undefined) byPack.set(location.packId, (list = []));
    list.push({ id, location });
  }
  for (const [packId, blobs] of byPack) {
    if (counts.get(packId) !== blobs.length) {
      for (const { id } of blobs) left.push(id);
      continue;
    }
    const pack = toHex(packId);
    const bytes = await source.backend.read('data', pack, undefined, { treePack: true });
    const outcome = await writer.adoptPack(packOf({ blobs }), bytes, 'tree', `${packFileName(pack)} of the source repository`);
    if (outcome !== 'adopted') for (const { id } of blobs) left.push(id);
  }
  return left;
}

/**
 * Copies tree blobs whose ids the destination shares with the source: each is read from the
 * source (checked against its id) and saved as it is, so it keeps its id.
 */
export async function copyTreesAsTheyAre(source: Pick<Repository, 'loadBlob'>, writer: BlobWriter, trees: readonly Id[]): Promise<void> {
  for (const id of trees) {
    const saved = await writer.save('tree', await source.loadBlob(id, 'tree'));
    if (!idEquals(saved, id)) throw new Error(`tree ${toHex(id)} was copied under another id (${toHex(saved)}), though both repositories name content alike`);
  }
}

/**
 * Writes the destination's version of the tree `root` (hex id in the source) and of every tree
 * below it not written yet, children first: each node's content and subtree ids replaced by
 * the destination's (`mapped`, which every data blob below must already be in, and which gets
 * each tree written). `trees` holds the listing of each source tree, as the reachability walk
 * read it: no tree is read again. Returns the destination's id of `root`.
 */
export async function rewriteTrees(writer: BlobWriter, trees: ReadonlyMap<string, readonly TreeNode[]>, mapped: Map<string, Id>, root: Id): Promise<Id> {
  const mapId = (id: Id): Id => {
    const hex = toHex(id);
    const to = mapped.get(hex);
    if (to === undefined) throw new Error(`blob ${hex} has no id in the destination yet`);
    return to;
  };
  const stack = [toHex(root)];
  while (stack.length > 0) {
    const hex = stack[stack.length - 1]!;
    if (mapped.has(hex)) {
      stack.pop();
      continue;
    }
    const nodes = trees.get(hex);
    if (nodes === undefined) throw new Error(`tree ${hex} was not read by the walk`);
    let waiting = false;
    for (const node of nodes) {
      if (node.subtree === undefined) continue;
      const sub = toHex(node.subtree);
      if (!mapped.has(sub)) {
        stack.push(sub);
        waiting = true;
      }
    }
    if (waiting) continue;
    stack.pop();
    const rewritten = nodes.map((node): TreeNode => ({
      ...node,
      ...(node.content === undefined ? {} : { content: node.content.map(mapId) }),
      ...(node.subtree === undefined ? {} : { subtree: mapId(node.subtree) }),
    }));
    mapped.set(hex, await writer.save('tree', encodeTree(rewritten)));
  }
  return mapId(root);
}
