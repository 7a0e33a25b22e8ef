import { keyBytes, scanMiss } from './msgpack-cursor.js';
import type { MsgpackCursor } from './msgpack-cursor.js';
import { NEWEST_TREE_VERSION } from './format-version.js';

const KEY_V = keyBytes('v');
const KEY_NODES = keyBytes('nodes');

/**
 * Reads a tree's header at the cursor (`{v, nodes: [`) as the in-place readers (tree-scan,
 * tree-decode-fast) take it: a version this build reads, then the node array. Returns the version
 * and the array's length; a miss for anything else, or for more nodes than `bytes` can hold
 * (each takes at least its 11 keys and values, 40 bytes).
 */
export function openTreeNodes(c: MsgpackCursor, bytes: Uint8Array): { readonly version: number; readonly count: number } {
  if (c.map() !== 2 || !c.key(KEY_V)) scanMiss();
  const version = c.uint();
  if (version < 1 || version > NEWEST_TREE_VERSION || !c.key(KEY_NODES)) scanMiss();
  const count = c.array();
  if (count * 40 > bytes.length) scanMiss();
  return { version, count };
}
