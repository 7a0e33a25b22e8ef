import { compareNames, holdsRawBytes, nameFromBytes, nameToBytes } from '@cairn/core';
import type { Id, NodeType, Xattr } from '@cairn/core';
import { checkBigInt, checkId, checkString, checkUint, INT64_MAX, INT64_MIN, UINT64_MAX } from './argument-checks.js';
import { describeValue } from './describe-value.js';
import { createFieldReader, own } from './field-reader.js';
import type { FieldReader, WireMap } from './field-reader.js';
import { NEWEST_TREE_VERSION } from './format-version.js';
import { ScanMiss } from './msgpack-cursor.js';
import { decodeTreeInPlace } from './tree-decode-fast.js';
import { encodeTreeInPlace } from './tree-encode-fast.js';
import { packValue, unpackValue, wireInt } from './msgpack.js';
import { EXTRA_KEY_OWNER, extraKeyRule, MAX_MODE, nameProblem, NODE_KEYS, NODE_KEYS_V2, NODE_KEYS_V3, NODE_TYPES } from './tree-node.js';
import type { NodeExtraKey, TreeNode } from './tree-node.js';

/**
 * Encodes a tree `{ v, nodes: [...] }` with the nodes sorted by the bytes of their names, so
 * the same listing always gives the same bytes; `v` is 3 when a name or symlink target is not
 * valid UTF-8 (written as bin) or a node has extended attributes, else 2 when a node is recorded
 * by reference, else 1. TypeError / RangeError on a bad node, a name a reader would refuse, or a
 * duplicate name. Trees in the common layout are written straight (encodeTreeInPlace: the same
 * bytes, no msgpack object per node); any other, or a wrong one, through msgpackr.
 */
export function encodeTree(nodes: readonly TreeNode[]): Uint8Array {
  if (!Array.isArray(nodes)) throw new TypeError(`nodes must be an array, not ${describeValue(nodes)}`);
  return encodeTreeInPlace(nodes) ?? encodeTreeByMsgpack(nodes);
}

/** encodeTree through msgpackr: any tree, and the precise error for a wrong one (exported for the tests, not by the package). */
export function encodeTreeByMsgpack(nodes: readonly TreeNode[]): Uint8Array {
  const keyed = nodes.map((node: TreeNode, i) => {
    const wire = wireNode(node, `nodes[${i}]`);
    return { name: node.name, bytes: Buffer.from(nameToBytes(node.name)), wire };
  });
  keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  keyed.forEach((entry, i) => {
    const before = keyed[i - 1];
    if (before !== undefined && Buffer.compare(before.bytes, entry.bytes) === 0) {
      throw new TypeError(`two nodes are named ${JSON.stringify(entry.name)}: names in a tree must be unique`);
    }
  });
  const v3 = keyed.some(({ wire }) => wire['name'] instanceof Uint8Array || wire['target'] instanceof Uint8Array || wire['xattrs'] !== undefined);
  const v = v3 ? 3 : keyed.some((entry) => entry.wire['ref'] !== undefined) ? 2 : 1;
  return packValue({ v, nodes: keyed.map((entry) => entry.wire) });
}

/**
 * Decodes a tree. ERR_FORMAT naming `where` for any deviation: unsorted or repeated names,
 * names that are empty, '.', '..' or hold '/' or NUL, a node lacking what its type needs.
 * Trees in the common layout are read straight from the bytes (decodeTreeInPlace: the same
 * nodes, no msgpack map per node); any other, or a wrong one, through msgpack maps.
 */
export function decodeTree(bytes: Uint8Array, where: string): TreeNode[] {
  if (bytes instanceof Uint8Array) {
    try {
      return decodeTreeInPlace(bytes);
    } catch (error) {
      if (!(error instanceof ScanMiss)) throw error;
    }
  }
  return decodeTreeFully(bytes, where);
}

/** decodeTree through msgpack maps: any tree, and the precise ERR_FORMAT for a wrong one (exported for the tests, not by the package). */
export function decodeTreeFully(bytes: Uint8Array, where: string): TreeNode[] {
  const read = createFieldReader(where, 'tree');
  const root = read.root(unpackValue(bytes, where, 'tree'), ['v', 'nodes'], NEWEST_TREE_VERSION);
  let previous: string | undefined;
  const keys = nodeKeys(root.v);
  return read.array(own(root, 'nodes'), 'nodes').map((value, i) => {
    const node = readNode(read, read.map(value, `nodes[${i}]`, keys), `nodes[${i}]`, root.v);
    if (previous !== undefined) {
      const order = compareNames(previous, node.name);
      if (order === 0) read.fail(`nodes[${i}].name`, `${JSON.stringify(node.name)} is repeated: names in a tree must be unique`);
      if (order > 0) read.fail(`nodes[${i}].name`, `${JSON.stringify(node.name)} comes after ${JSON.stringify(previous)}: names are not sorted`);
    }
    previous = node.name;
    return node;
  });
}

/**
 * Decodes node `i` of a tree of `version` from the bytes of its map alone (what scanTree found),
 * with decodeTree's checks of one node: ERR_FORMAT naming `where` and `nodes[i]`.
 */
export function decodeTreeNode(bytes: Uint8Array, where: string, i: number, version: number): TreeNode {
  const read = createFieldReader(where, 'tree');
  return readNode(read, read.map(unpackValue(bytes, where, 'tree'), `nodes[${i}]`, nodeKeys(version)), `nodes[${i}]`, version);
}

/** The keys a node of a tree of `version` may have. */
function nodeKeys(version: number): readonly string[] {
  const unknown = version >= 3 ? [] : version === 2 ? NODE_KEYS_V3 : [...NODE_KEYS_V2, ...NODE_KEYS_V3];
  return NODE_KEYS.filter((key) => !unknown.includes(key));
}

/** The wire map of a node, keys in format order, after checking every field. */
function wireNode(node: TreeNode, path: string): Record<string, unknown> {
  if (typeof node !== 'object' || node === null) throw new TypeError(`${path} must be a TreeNode, not ${describeValue(node)}`);
  checkName(node.name, `${path}.name`);
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
    name: textOrBytes(node.name),
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
    else if (key === 'target') {
      checkName(value, `${at}.linkTarget`);
    } else checkUint(value, `${at}.rdev`);
    wire[key] = key === 'rdev' ? wireInt(value as number) : key === 'target' ? textOrBytes(value as string) : value;
  }
  if (ref !== undefined) wire['ref'] = { id: ref.id, commit: ref.commit };
  const xattrs = wireXattrs(node.xattrs, `${at}.xattrs`);
  if (xattrs !== undefined) wire['xattrs'] = xattrs;
  return wire;
}

/** Throws TypeError unless `value` is a string, RangeError when it holds a lone surrogate that stands for no byte. */
function checkName(value: unknown, path: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${path} must be a string, not ${describeValue(value)}`);
  try {
    nameToBytes(value);
  } catch (error) {
    throw new RangeError(`${path}: ${(error as Error).message}`);
  }
}

/** A name or target as written: str when its bytes are valid UTF-8, else bin of its bytes (tree version 3). */
function textOrBytes(text: string): string | Uint8Array {
  return holdsRawBytes(text) ? nameToBytes(text) : text;
}

/** Extended attributes as written: `[[name, value], …]` sorted by the names' bytes; undefined for none. */
function wireXattrs(xattrs: readonly Xattr[] | undefined, path: string): [string, Uint8Array][] | undefined {
  if (xattrs === undefined) return undefined;
  if (!Array.isArray(xattrs)) throw new TypeError(`${path} must be an array of { name, value }, not ${describeValue(xattrs)}`);
  if (xattrs.length === 0) return undefined;
  const sorted = xattrs.map((xattr: Xattr, i) => {
    if (typeof xattr !== 'object' || xattr === null) throw new TypeError(`${path}[${i}] must be { name, value }, not ${describeValue(xattr)}`);
    const problem = xattrNameProblem(xattr.name);
    if (problem !== undefined) throw new TypeError(`${path}[${i}].name ${problem}`);
    if (!(xattr.value instanceof Uint8Array)) throw new TypeError(`${path}[${i}].value must be a Uint8Array, not ${describeValue(xattr.value)}`);
    return { name: xattr.name, bytes: Buffer.from(xattr.name, 'utf8'), value: xattr.value };
  }).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  sorted.forEach((entry, i) => {
    if (i > 0 && entry.name === sorted[i - 1]?.name) throw new TypeError(`${path} names ${JSON.stringify(entry.name)} twice`);
  });
  return sorted.map((entry) => [entry.name, entry.value]);
}

/** Why `name` cannot name an extended attribute (undefined when it can): empty, NUL, not valid UTF-8. */
function xattrNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `is ${describeValue(name)}, not a string`;
  if (name === '') return 'is empty';
  if (name.includes('\0')) return `${JSON.stringify(name)} contains NUL`;
  if (holdsRawBytes(name)) return `${JSON.stringify(name)} is not valid UTF-8`;
  return undefined;
}

function checkRefText(value: unknown, path: string): void {
  checkString(value, path);
  if (value === '') throw new TypeError(`${path} is empty`);
}

/** Reads one node map of a tree of `version` (its keys already checked against NODE_KEYS). */
function readNode(read: FieldReader, map: WireMap, path: string, version: number): TreeNode {
  const name = readText(read, own(map, 'name'), `${path}.name`, version);
  const problem = nameProblem(name);
  if (problem !== undefined) read.fail(`${path}.name`, `${problem}, which a tree never holds (it could escape the restore folder)`);
  // The node's name in messages, built only for one (a tree of many nodes builds no string per field).
  let named: string | undefined;
  const at = (): string => (named ??= `${path} (${JSON.stringify(name)})`);
  const uint = (key: string): number => {
    const value = own(map, key);
    return typeof value === 'number' && value >= 0 && Number.isSafeInteger(value) ? value : read.uint(value, `${at()}.${key}`);
  };
  const int = (key: string, unsigned: boolean): bigint => {
    const value = own(map, key);
    if (typeof value === 'bigint' && (!unsigned || value >= 0n)) return value;
    return unsigned ? read.uint64(value, `${at()}.${key}`) : read.int(value, `${at()}.${key}`);
  };
  const typeValue = own(map, 'type');
  if (!NODE_TYPES.includes(typeValue as NodeType)) read.fail(`${at()}.type`, `is ${describeValue(typeValue)}, expected one of ${NODE_TYPES.join(', ')}`);
  const type = typeValue as NodeType;
  const mode = uint('mode');
  if (mode > MAX_MODE) read.fail(`${at()}.mode`, `is 0o${mode.toString(8)}, more than 0o7777`);
  // One object literal, then its extras assigned in format order: nodes share a few hidden classes
  // (a spread of two objects gave nearly every node its own, which cost memory and speed).
  const node: { -readonly [K in keyof TreeNode]: TreeNode[K] } = {
    name,
    type,
    mode,
    uid: uint('uid'),
    gid: uint('gid'),
    mtimeNs: int('mtime', false),
    ctimeNs: int('ctime', false),
    ino: int('ino', true),
    dev: int('dev', true),
    nlink: uint('nlink'),
    size: uint('size'),
  };
  const refValue = own(map, 'ref');
  if (refValue !== undefined) {
    if (type !== 'file') read.fail(`${at()}.ref`, `is only for files, not a ${type}`);
    const refMap = read.map(refValue, `${at()}.ref`, ['id', 'commit']);
    const text = (key: 'id' | 'commit'): string => {
      const value = read.string(own(refMap, key), `${at()}.ref.${key}`);
      return value === '' ? read.fail(`${at()}.ref.${key}`, 'is empty') : value;
    };
    node.ref = { id: text('id'), commit: text('commit') };
  }
  for (const key of ['content', 'subtree', 'target', 'rdev'] as const) {
    const value = own(map, key);
    const rule = key === 'content' && node.ref !== undefined ? 'forbidden' : extraKeyRule(type, key);
    if (value === undefined) {
      if (rule === 'required') read.fail(at(), `is a ${type} without ${key}`);
      continue;
    }
    if (rule === 'forbidden') {
      read.fail(`${at()}.${key}`, node.ref !== undefined && key === 'content' ? 'is beside ref: a file is stored or recorded by reference, not both' : `is only for ${EXTRA_KEY_OWNER[key]}, not a ${type}`);
    }
    if (key === 'content') node.content = (Array.isArray(value) ? value : read.array(value, `${at()}.content`)).map((id, i) => wireId(read, id, at, `content[${i}]`));
    else if (key === 'subtree') node.subtree = wireId(read, value, at, 'subtree');
    else if (key === 'target') node.linkTarget = readText(read, value, `${at()}.target`, version);
    else node.rdev = read.uint(value, `${at()}.rdev`);
  }
  const xattrs = own(map, 'xattrs');
  if (xattrs !== undefined) node.xattrs = readXattrs(read, xattrs, `${at()}.xattrs`);
  return node;
}

/** An id of a node (a copy of its 32 bytes); the path in a message only when it is not one. */
function wireId(read: FieldReader, value: unknown, at: () => string, key: string): Id {
  return value instanceof Uint8Array && value.byteLength === 32 ? new Uint8Array(value) : read.id(value, `${at()}.${key}`);
}

/** A name or target: a str, or (version 3) a bin of bytes that are not valid UTF-8. */
function readText(read: FieldReader, value: unknown, path: string, version: number): string {
  if (!(value instanceof Uint8Array) || version < 3) return read.string(value, path);
  const text = nameFromBytes(value);
  return holdsRawBytes(text) ? text : read.fail(path, `is a bin of valid UTF-8 (${JSON.stringify(text)}), which is written as a str`);
}

/** Extended attributes: a non-empty array of `[name, value]` sorted by the names' bytes, names unique. */
function readXattrs(read: FieldReader, value: unknown, path: string): Xattr[] {
  const list = read.array(value, path);
  if (list.length === 0) read.fail(path, 'is empty: a node without extended attributes has no xattrs key');
  let previous: Buffer | undefined;
  return list.map((item, i) => {
    const pair = read.array(item, `${path}[${i}]`);
    if (pair.length !== 2) read.fail(`${path}[${i}]`, `has ${pair.length} items, expected [name, value]`);
    const name = read.string(pair[0], `${path}[${i}][0]`);
    const problem = xattrNameProblem(name);
    if (problem !== undefined) read.fail(`${path}[${i}][0]`, problem);
    const bytes = Buffer.from(name, 'utf8');
    if (previous !== undefined && Buffer.compare(previous, bytes) >= 0) read.fail(`${path}[${i}][0]`, `${JSON.stringify(name)} is repeated or out of order: names are sorted and unique`);
    previous = bytes;
    const raw = pair[1];
    if (!(raw instanceof Uint8Array)) read.fail(`${path}[${i}][1]`, `is ${describeValue(raw)}, expected a bin`);
    return { name, value: new Uint8Array(raw as Uint8Array) };
  });
}
