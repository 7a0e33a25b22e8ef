import { ID_LENGTH } from '@cairn/core';
import type { Id, NodeType } from '@cairn/core';
import { openTreeNodes } from './tree-header.js';
import { compareRanges, keyBytes, knownKey, MsgpackCursor, sameBytes, scanMiss } from './msgpack-cursor.js';
import { extraKeyRule, MAX_MODE, NODE_KEYS, NODE_TYPES } from './tree-node.js';
import type { NodeExtraKey, TreeNode } from './tree-node.js';

const KEYS = NODE_KEYS.map(keyBytes);
const KEY = Object.fromEntries(NODE_KEYS.map((key, i) => [key, i])) as Record<string, number>;
/** The keys every node has: name to size. */
const BASE_KEYS = (1 << (KEY['size']! + 1)) - 1;
const EXTRA_KEYS: readonly NodeExtraKey[] = ['content', 'subtree', 'target', 'rdev'];
/** Per type (NODE_TYPES order): the extra keys it must have, and those it may have. */
const REQUIRED = NODE_TYPES.map((type) => keyMask(type, 'required'));
const ALLOWED = NODE_TYPES.map((type) => keyMask(type, 'required') | keyMask(type, 'optional'));
const TYPE_BYTES = NODE_TYPES.map(keyBytes);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function keyMask(type: NodeType, rule: 'required' | 'optional'): number {
  let mask = 0;
  for (const key of EXTRA_KEYS) if (extraKeyRule(type, key) === rule) mask |= 1 << KEY[key]!;
  return mask;
}

/**
 * decodeTree's nodes read straight from the bytes, for trees in the common layout (what
 * encodeTree writes: str names and targets, no references, no extended attributes): the same
 * TreeNode objects, with the same checks, without a msgpack map per node. Throws ScanMiss for
 * anything else (or anything wrong): decodeTree then decodes the bytes fully, which gives the
 * node or the precise error.
 */
export function decodeTreeInPlace(bytes: Uint8Array): TreeNode[] {
  const c = new MsgpackCursor(bytes);
  const { count } = openTreeNodes(c, bytes);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nodes = new Array<TreeNode>(count);
  let previousAt = 0;
  let previousLength = -1;
  for (let i = 0; i < count; i += 1) {
    const pairs = c.map();
    let seen = 0;
    let next = 0; // the key expected next: encodeTree writes them in NODE_KEYS order
    let name = '';
    let nameAt = 0;
    let nameLength = 0;
    let type = -1;
    let mode = 0;
    let uid = 0;
    let gid = 0;
    let mtimeNs = 0n;
    let ctimeNs = 0n;
    let ino = 0n;
    let dev = 0n;
    let nlink = 0;
    let size = 0;
    let content: Id[] | undefined;
    let subtree: Id | undefined;
    let linkTarget: string | undefined;
    let rdev: number | undefined;
    for (let p = 0; p < pairs; p += 1) {
      const key = knownKey(c, KEYS, next, seen);
      seen |= 1 << key;
      next = key + 1;
      switch (key) {
        case 0: // name
          nameLength = c.str();
          nameAt = c.start;
          name = checkedName(text, nameAt, nameLength);
          break;
        case 1: { // type
          const length = c.str();
          for (let t = 0; t < TYPE_BYTES.length && type < 0; t += 1) if (sameBytes(bytes, c.start, length, TYPE_BYTES[t]!)) type = t;
          if (type < 0) scanMiss();
          break;
        }
        case 2:
          mode = c.uint();
          if (mode > MAX_MODE) scanMiss();
          break;
        case 3:
          uid = c.uint();
          break;
        case 4:
          gid = c.uint();
          break;
        case 5:
          mtimeNs = readInt(c, false);
          break;
        case 6:
          ctimeNs = readInt(c, false);
          break;
        case 7:
          ino = readInt(c, true);
          break;
        case 8:
          dev = readInt(c, true);
          break;
        case 9:
          nlink = c.uint();
          break;
        case 10:
          size = c.uint();
          break;
        case 11: { // content
          const ids = c.array();
          content = new Array<Id>(ids);
          for (let b = 0; b < ids; b += 1) {
            content[b] = copyId(bytes, c.binOf(ID_LENGTH));
          }
          break;
        }
        case 12: { // subtree
          subtree = copyId(bytes, c.binOf(ID_LENGTH));
          break;
        }
        case 13: { // target
          const length = c.str();
          linkTarget = decodeText(text, c.start, length);
          break;
        }
        case 14:
          rdev = c.uint();
          break;
        default: // ref, xattrs: decodeTree reads those
          scanMiss();
      }
    }
    if ((seen & BASE_KEYS) !== BASE_KEYS) scanMiss();
    const extras = seen & ~BASE_KEYS;
    if ((extras & REQUIRED[type]!) !== REQUIRED[type] || (extras & ~ALLOWED[type]!) !== 0) scanMiss();
    if (previousLength >= 0 && compareRanges(bytes, previousAt, previousLength, nameAt, nameLength) >= 0) scanMiss();
    previousAt = nameAt;
    previousLength = nameLength;
    // The object decodeTree builds: the same keys in the same order (one hidden class per kind of node).
    const node: { -readonly [K in keyof TreeNode]: TreeNode[K] } = {
      name, type: NODE_TYPES[type]!, mode, uid, gid, mtimeNs, ctimeNs, ino, dev, nlink, size,
    };
    if (content !== undefined) node.content = content;
    if (subtree !== undefined) node.subtree = subtree;
    if (linkTarget !== undefined) node.linkTarget = linkTarget;
    if (rdev !== undefined) node.rdev = rdev;
    nodes[i] = node;
  }
  if (!c.atEnd) scanMiss();
  return nodes;
}

/** A copy of the id at `at` (as decodeTree's: a Uint8Array of its own, never a view of the tree's bytes). */
function copyId(bytes: Uint8Array, at: number): Id {
  const id = new Uint8Array(ID_LENGTH);
  id.set(bytes.subarray(at, at + ID_LENGTH));
  return id;
}

/** An integer of any encoding as a bigint; with `unsigned`, a negative one is a miss. */
function readInt(c: MsgpackCursor, unsigned: boolean): bigint {
  const at = c.pos;
  c.skipInt(unsigned);
  return c.bigIntAt(at);
}

/**
 * The name at `start`, checked as decodeTree checks names: not empty, '.' or '..', no '/' or
 * NUL, valid UTF-8 (a miss otherwise).
 */
function checkedName(text: Buffer, start: number, length: number): string {
  if (length === 0) scanMiss();
  if (text[start] === 0x2e && (length === 1 || (length === 2 && text[start + 1] === 0x2e))) scanMiss();
  let ascii = true;
  for (let i = start; i < start + length; i += 1) {
    const byte = text[i]!;
    if (byte === 0x2f || byte === 0) scanMiss();
    if (byte >= 0x80) ascii = false;
  }
  return ascii ? text.toString('latin1', start, start + length) : decodeUtf8(text, start, length);
}

/** A str's text: valid UTF-8 (a miss otherwise). */
function decodeText(text: Buffer, start: number, length: number): string {
  for (let i = start; i < start + length; i += 1) if (text[i]! >= 0x80) return decodeUtf8(text, start, length);
  return text.toString('latin1', start, start + length);
}

function decodeUtf8(text: Buffer, start: number, length: number): string {
  try {
    return utf8.decode(text.subarray(start, start + length));
  } catch {
    return scanMiss();
  }
}
