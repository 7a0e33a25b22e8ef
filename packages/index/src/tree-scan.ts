import { ID_LENGTH, nameToBytes } from '@cairn/core';
import type { Id, NodeType } from '@cairn/core';
import { decodeTree, decodeTreeNode } from './tree.js';
import { openTreeNodes } from './tree-header.js';
import { compareRanges, keyBytes, knownKey, MsgpackCursor, sameBytes, ScanMiss, scanMiss } from './msgpack-cursor.js';
import { MAX_MODE, NODE_KEYS, NODE_TYPES } from './tree-node.js';
import type { TreeNode } from './tree-node.js';

/**
 * The entries of one tree, read in place by scanTree: what a walk needs (name, type, subtree)
 * without a TreeNode per entry, and the full node of just the entries a caller asks for.
 * Entries are in the tree's order (by the bytes of their names). Ids are views of the tree's
 * bytes: copy those kept for long.
 */
export interface TreeListing {
  /** Number of entries. */
  readonly length: number;
  /** Entry i's name (as TreeNode.name). */
  name(i: number): string;
  /** The bytes of entry i's name (a view: do not modify). */
  nameBytes(i: number): Uint8Array;
  type(i: number): NodeType;
  /** Dirs: the id of the folder's tree; undefined for other types. */
  subtree(i: number): Id | undefined;
  /** Entry i's size (as TreeNode.size). */
  size(i: number): number;
  /** Entry i's modification time in nanoseconds since 1970. */
  mtimeNs(i: number): bigint;
  /** Files: their data blob ids, in order; undefined for other types and files recorded by reference. */
  content(i: number): Id[] | undefined;
  /** Entry i as decodeTree gives it. */
  node(i: number): TreeNode;
}

// Per entry, in one Int32Array: where its map starts and ends, where its name is and how long,
// its type code, and where its subtree id, content array and mtime are (-1: none).
const START = 0;
const END = 1;
const NAME_AT = 2;
const NAME_LENGTH = 3;
const TYPE = 4;
const SUBTREE_AT = 5;
const CONTENT_AT = 6;
const MTIME_AT = 7;
const STRIDE = 8;

const KEYS = NODE_KEYS.map(keyBytes);
const KEY = Object.fromEntries(NODE_KEYS.map((key, i) => [key, i])) as Record<string, number>;
/** The keys every node has: name to size. */
const BASE_KEYS = (1 << (KEY['size']! + 1)) - 1;
const CONTENT = 1 << KEY['content']!;
const SUBTREE = 1 << KEY['subtree']!;
const TARGET = 1 << KEY['target']!;
const RDEV = 1 << KEY['rdev']!;
const TYPE_BYTES = NODE_TYPES.map(keyBytes);
const FILE = NODE_TYPES.indexOf('file');
const DIR = NODE_TYPES.indexOf('dir');
const SYMLINK = NODE_TYPES.indexOf('symlink');
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a tree's entries in place (see TreeListing). Trees in the common layout (what
 * encodeTree writes for names that are valid UTF-8, without references or extended attributes)
 * are checked as decodeTree checks them, field by field, without decoding them; any other tree
 * goes through decodeTree: ERR_FORMAT / ERR_VERSION naming `where` just as decodeTree gives them.
 */
export function scanTree(bytes: Uint8Array, where: string): TreeListing {
  try {
    return scanInPlace(bytes, where);
  } catch (error) {
    if (!(error instanceof ScanMiss)) throw error;
    return listNodes(decodeTree(bytes, where));
  }
}

/** A TreeListing over decoded nodes. */
export function listNodes(nodes: readonly TreeNode[]): TreeListing {
  return {
    length: nodes.length,
    name: (i) => nodes[i]!.name,
    nameBytes: (i) => nameToBytes(nodes[i]!.name),
    type: (i) => nodes[i]!.type,
    subtree: (i) => nodes[i]!.subtree,
    size: (i) => nodes[i]!.size,
    mtimeNs: (i) => nodes[i]!.mtimeNs,
    content: (i) => nodes[i]!.content,
    node: (i) => nodes[i]!,
  };
}

function scanInPlace(bytes: Uint8Array, where: string): TreeListing {
  const c = new MsgpackCursor(bytes);
  const { version, count } = openTreeNodes(c, bytes);
  const at = new Int32Array(count * STRIDE);
  const sizes = new Float64Array(count);
  const names: (string | undefined)[] = new Array<string | undefined>(count);
  let previousAt = 0;
  let previousLength = -1;
  for (let i = 0; i < count; i += 1) {
    const e = i * STRIDE;
    at[e + START] = c.pos;
    at[e + SUBTREE_AT] = -1;
    at[e + CONTENT_AT] = -1;
    const pairs = c.map();
    let seen = 0;
    let next = 0; // the key expected next: keys are written in NODE_KEYS order
    for (let p = 0; p < pairs; p += 1) {
      const key = knownKey(c, KEYS, next, seen);
      seen |= 1 << key;
      next = key + 1;
      switch (key) {
        case 0: { // name
          const length = c.str();
          at[e + NAME_AT] = c.start;
          at[e + NAME_LENGTH] = length;
          break;
        }
        case 1: { // type
          const length = c.str();
          let type = -1;
          for (let t = 0; t < TYPE_BYTES.length && type < 0; t += 1) if (sameBytes(bytes, c.start, length, TYPE_BYTES[t]!)) type = t;
          if (type < 0) scanMiss();
          at[e + TYPE] = type;
          break;
        }
        case 2: // mode
          if (c.uint() > MAX_MODE) scanMiss();
          break;
        case 3: case 4: case 9: case 14: // uid, gid, nlink, rdev
          c.uint();
          break;
        case 10: // size
          sizes[i] = c.uint();
          break;
        case 5: // mtime
          at[e + MTIME_AT] = c.pos;
          c.skipInt(false);
          break;
        case 6: // ctime
          c.skipInt(false);
          break;
        case 7: case 8: // ino, dev
          c.skipInt(true);
          break;
        case 11: { // content
          at[e + CONTENT_AT] = c.pos;
          const ids = c.array();
          for (let b = 0; b < ids; b += 1) c.binOf(ID_LENGTH);
          break;
        }
        case 12: // subtree
          at[e + SUBTREE_AT] = c.binOf(ID_LENGTH);
          break;
        case 13: // target
          c.str();
          break;
        default: // ref, xattrs: decodeTree reads those
          scanMiss();
      }
    }
    at[e + END] = c.pos;
    if ((seen & BASE_KEYS) !== BASE_KEYS) scanMiss();
    const type = at[e + TYPE]!;
    const extras = seen & ~BASE_KEYS;
    if (extras !== (type === FILE ? CONTENT : type === DIR ? SUBTREE : type === SYMLINK ? TARGET : extras & RDEV)) scanMiss();
    const nameAt = at[e + NAME_AT]!;
    const nameLength = at[e + NAME_LENGTH]!;
    names[i] = checkName(bytes, nameAt, nameLength);
    if (previousLength >= 0 && compareRanges(bytes, previousAt, previousLength, nameAt, nameLength) >= 0) scanMiss();
    previousAt = nameAt;
    previousLength = nameLength;
  }
  if (!c.atEnd) scanMiss();
  let text: Buffer | undefined; // the bytes as a Buffer, for decoding ASCII names
  return {
    length: count,
    name(i) {
      let name = names[i];
      if (name === undefined) {
        const e = i * STRIDE;
        const nameAt = at[e + NAME_AT]!;
        name = names[i] = (text ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('latin1', nameAt, nameAt + at[e + NAME_LENGTH]!);
      }
      return name;
    },
    nameBytes(i) {
      const nameAt = at[i * STRIDE + NAME_AT]!;
      return bytes.subarray(nameAt, nameAt + at[i * STRIDE + NAME_LENGTH]!);
    },
    type: (i) => NODE_TYPES[at[i * STRIDE + TYPE]!]!,
    subtree(i) {
      const subtreeAt = at[i * STRIDE + SUBTREE_AT]!;
      return subtreeAt < 0 ? undefined : bytes.subarray(subtreeAt, subtreeAt + ID_LENGTH);
    },
    size: (i) => sizes[i]!,
    mtimeNs: (i) => c.bigIntAt(at[i * STRIDE + MTIME_AT]!),
    content(i) {
      const contentAt = at[i * STRIDE + CONTENT_AT]!;
      if (contentAt < 0) return undefined;
      const list = new MsgpackCursor(bytes, contentAt);
      return Array.from({ length: list.array() }, () => {
        const idAt = list.binOf(ID_LENGTH);
        return bytes.subarray(idAt, idAt + ID_LENGTH);
      });
    },
    node: (i) => decodeTreeNode(bytes.subarray(at[i * STRIDE + START]!, at[i * STRIDE + END]!), where, i, version),
  };
}

/**
 * The name at `start` checked as decodeTree checks names: not empty, '.' or '..', no '/' or NUL;
 * its text when it is not ASCII (which must be valid UTF-8), else undefined (decoded on request).
 */
function checkName(bytes: Uint8Array, start: number, length: number): string | undefined {
  if (length === 0) scanMiss();
  if (bytes[start] === 0x2e && (length === 1 || (length === 2 && bytes[start + 1] === 0x2e))) scanMiss();
  let ascii = true;
  for (let i = start; i < start + length; i += 1) {
    const byte = bytes[i]!;
    if (byte === 0x2f || byte === 0) scanMiss();
    if (byte >= 0x80) ascii = false;
  }
  if (ascii) return undefined;
  try {
    return utf8.decode(bytes.subarray(start, start + length));
  } catch {
    return scanMiss();
  }
}
