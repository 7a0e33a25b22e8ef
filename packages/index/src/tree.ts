import type { Id, NodeType } from '@cairn/core';
import { checkBigInt, checkId, checkString, checkUint, INT64_MAX, INT64_MIN, UINT64_MAX } from './argument-checks.js';
import { describeValue } from './describe-value.js';
import { createFieldReader, own } from './field-reader.js';
import type { FieldReader, WireMap } from './field-reader.js';
import { NEWEST_FILE_VERSION } from './format-version.js';
import { packValue, unpackValue, wireInt } from './msgpack.js';
import { EXTRA_KEY_OWNER, extraKeyRule, MAX_MODE, nameProblem, NODE_KEYS, NODE_KEYS_V2, NODE_TYPES } from './tree-node.js';
import type { FileRef, NodeExtraKey, TreeNode } from './tree-node.js';

/**
 * Encodes a tree `{ v, nodes: [...] }` with the nodes sorted by the UTF-8 bytes of their
 * names, so the same listing always gives the same bytes; `v` is 2 when a node is recorded by
 * reference, else 1. TypeError / RangeError on a bad node, a name a reader would refuse, or a
 * duplicate name.
 */
export function encodeTree(nodes: readonly TreeNode[]): Uint8Array {
  if (!Array.isArray(nodes)) throw new TypeError(`nodes must be an array, not ${describeValue(nodes)}`);
  const keyed = nodes.map((node: TreeNode, i) => {
    const wire = wireNode(node, `nodes[${i}]`);
    return { name: node.name, utf8: Buffer.from(node.name, 'utf8'), wire };
  });
  keyed.sort((a, b) => Buffer.compare(a.utf8, b.utf8));
  keyed.forEach((entry, i) => {
    const before = keyed[i - 1];
    if (before !== undefined && Buffer.compare(before.utf8, entry.utf8) === 0) {
      throw new TypeError(`two nodes are named ${JSON.stringify(entry.name)}: names in a tree must be unique`);
    }
  });
  const v = keyed.some((entry) => entry.wire['ref'] !== undefined) ? 2 : 1;
  return packValue({ v, nodes: keyed.map((entry) => entry.wire) });
}

/**
 * Decodes a tree. ERR_FORMAT naming `where` for any deviation: unsorted or repeated names,
 * names that are empty, '.', '..' or hold '/' or NUL, a node lacking what its type needs.
 */
export function decodeTree(bytes: Uint8Array, where: string): TreeNode[] {
  const read = createFieldReader(where, 'tree');
  const root = read.root(unpackValue(bytes, where, 'tree'), ['v', 'nodes'], NEWEST_FILE_VERSION);
  let previous: { name: string; utf8: Buffer } | undefined;
  const keys = root.v >= 2 ? NODE_KEYS : NODE_KEYS.filter((key) => !NODE_KEYS_V2.includes(key));
  return read.array(own(root, 'nodes'), 'nodes').map((value, i) => {
    const node = readNode(read, read.map(value, `nodes[${i}]`, keys), `nodes[${i}]`);
    const utf8 = Buffer.from(node.name, 'utf8');
    if (previous !== undefined) {
      const order = Buffer.compare(previous.utf8, utf8);
      if (order === 0) read.fail(`nodes[${i}].name`, `${JSON.stringify(node.name)} is repeated: names in a tree must be unique`);
      if (order > 0) read.fail(`nodes[${i}].name`, `${JSON.stringify(node.name)} comes after ${JSON.stringify(previous.name)}: names are not sorted`);
    }
    previous = { name: node.name, utf8 };
    return node;
  });
}

/** The wire map of a node, keys in format order, after checking every field. */
function wireNode(node: TreeNode, path: string): Record<string, unknown> {
  if (typeof node !== 'object' || node === null) throw new TypeError(`${path} must be a TreeNode, not ${describeValue(node)}`);
  checkString(node.name, `${path}.name`);
  const problem = nameProblem(node.name);
  if (problem !== undefined) throw new TypeError(`${path}.name ${problem}: a reader would refuse it`);
  const at = `${path} (${JSON.stringify(node.name)})`;
  if (!NODE_TYPES.includes(node.type)) throw new TypeError(`${at}.type is ${describeValue(node.type)}, not one of ${NODE_TYPES.join(', ')}`);
  checkUint(node.mode, `${at}.mode`, MAX_MODE);
  for (const key of ['uid', 'gid', 'nlink', 'size'] as const) checkUint(node[key], `${at}.${key}`);
  checkBigInt(node.mtimeNs, `${at}.mtimeNs`, INT64_MIN, INT64_MAX);
  checkBigInt(node.ctimeNs, `${at}.ctimeNs`, INT64_MIN, INT64_MAX);
  checkBigInt(node.ino, `${at}.ino`, 0n, UINT64_MAX);
  checkBigInt(node.dev, `${at}.dev`, 0n, UINT64_MAX);
  const wire: Record<string, unknown> = {
    name: node.name,
    type: node.type,
    mode: node.mode,
    uid: wireInt(node.uid),
    gid: wireInt(node.gid),
    mtime: wireInt(node.mtimeNs),
    ctime: wireInt(node.ctimeNs),
    ino: wireInt(node.ino),
    dev: wireInt(node.dev),
    nlink: wireInt(node.nlink),
    size: wireInt(node.size),
  };
  const extras: Record<NodeExtraKey, unknown> = { content: node.content, subtree: node.subtree, target: node.linkTarget, rdev: node.rdev };
  const ref = node.ref;
  if (ref !== undefined) {
    if (node.type !== 'file') throw new TypeError(`${at} is a ${node.type}: ref is only for files`);
    if (node.content !== undefined) throw new TypeError(`${at} has both content and ref: a file is stored or recorded by reference, not both`);
    if (typeof ref !== 'object' || ref === null) throw new TypeError(`${at}.ref must be { id, commit }, not ${describeValue(ref)}`);
    checkRefText(ref.id, `${at}.ref.id`);
    checkRefText(ref.commit, `${at}.ref.commit`);
  }
  for (const [key, value] of Object.entries(extras) as [NodeExtraKey, unknown][]) {
    const field = key === 'target' ? 'linkTarget' : key;
    const rule = key === 'content' && ref !== undefined ? 'forbidden' : extraKeyRule(node.type, key);
    if (value === undefined) {
      if (rule === 'required') throw new TypeError(`${at} is a ${node.type} without ${field}`);
      continue;
    }
    if (rule === 'forbidden') throw new TypeError(`${at} is a ${node.type}: ${field} is only for ${EXTRA_KEY_OWNER[key]}`);
    if (key === 'content') {
      if (!Array.isArray(value)) throw new TypeError(`${at}.content must be an array of ids, not ${describeValue(value)}`);
      value.forEach((id, i) => checkId(id, `${at}.content[${i}]`));
    } else if (key === 'subtree') checkId(value, `${at}.subtree`);
    else if (key === 'target') checkString(value, `${at}.linkTarget`);
    else checkUint(value, `${at}.rdev`);
    wire[key] = key === 'rdev' ? wireInt(value as number) : value;
  }
  if (ref !== undefined) wire['ref'] = { id: ref.id, commit: ref.commit };
  return wire;
}

function checkRefText(value: unknown, path: string): void {
  checkString(value, path);
  if (value === '') throw new TypeError(`${path} is empty`);
}

/** Reads one node map (its keys already checked against NODE_KEYS). */
function readNode(read: FieldReader, map: WireMap, path: string): TreeNode {
  const name = read.string(own(map, 'name'), `${path}.name`);
  const problem = nameProblem(name);
  if (problem !== undefined) read.fail(`${path}.name`, `${problem}, which a tree never holds (it could escape the restore folder)`);
  const at = `${path} (${JSON.stringify(name)})`;
  const typeValue = own(map, 'type');
  if (!NODE_TYPES.includes(typeValue as NodeType)) read.fail(`${at}.type`, `is ${describeValue(typeValue)}, expected one of ${NODE_TYPES.join(', ')}`);
  const type = typeValue as NodeType;
  const mode = read.uint(own(map, 'mode'), `${at}.mode`);
  if (mode > MAX_MODE) read.fail(`${at}.mode`, `is 0o${mode.toString(8)}, more than 0o7777`);
  const base = {
    name,
    type,
    mode,
    uid: read.uint(own(map, 'uid'), `${at}.uid`),
    gid: read.uint(own(map, 'gid'), `${at}.gid`),
    mtimeNs: read.int(own(map, 'mtime'), `${at}.mtime`),
    ctimeNs: read.int(own(map, 'ctime'), `${at}.ctime`),
    ino: read.uint64(own(map, 'ino'), `${at}.ino`),
    dev: read.uint64(own(map, 'dev'), `${at}.dev`),
    nlink: read.uint(own(map, 'nlink'), `${at}.nlink`),
    size: read.uint(own(map, 'size'), `${at}.size`),
  };
  const extras: { content?: Id[]; subtree?: Id; linkTarget?: string; rdev?: number; ref?: FileRef } = {};
  const refValue = own(map, 'ref');
  if (refValue !== undefined) {
    if (type !== 'file') read.fail(`${at}.ref`, `is only for files, not a ${type}`);
    const refMap = read.map(refValue, `${at}.ref`, ['id', 'commit']);
    const text = (key: 'id' | 'commit'): string => {
      const value = read.string(own(refMap, key), `${at}.ref.${key}`);
      return value === '' ? read.fail(`${at}.ref.${key}`, 'is empty') : value;
    };
    extras.ref = { id: text('id'), commit: text('commit') };
  }
  for (const key of ['content', 'subtree', 'target', 'rdev'] as const) {
    const value = own(map, key);
    const rule = key === 'content' && extras.ref !== undefined ? 'forbidden' : extraKeyRule(type, key);
    if (value === undefined) {
      if (rule === 'required') read.fail(at, `is a ${type} without ${key}`);
      continue;
    }
    if (rule === 'forbidden') {
      read.fail(`${at}.${key}`, extras.ref !== undefined && key === 'content' ? 'is beside ref: a file is stored or recorded by reference, not both' : `is only for ${EXTRA_KEY_OWNER[key]}, not a ${type}`);
    }
    if (key === 'content') extras.content = read.array(value, `${at}.content`).map((id, i) => read.id(id, `${at}.content[${i}]`));
    else if (key === 'subtree') extras.subtree = read.id(value, `${at}.subtree`);
    else if (key === 'target') extras.linkTarget = read.string(value, `${at}.target`);
    else extras.rdev = read.uint(value, `${at}.rdev`);
  }
  return { ...base, ...extras };
}
