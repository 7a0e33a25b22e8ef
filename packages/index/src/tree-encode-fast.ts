import { compareNames, holdsRawBytes, ID_LENGTH } from '@cairn/core';
import type { Id } from '@cairn/core';
import { INT64_MAX, INT64_MIN, UINT64_MAX } from './argument-checks.js';
import { extraKeyRule, MAX_MODE, NODE_TYPES } from './tree-node.js';
import type { TreeNode } from './tree-node.js';

/**
 * encodeTree's bytes written straight, for trees in the common layout (what a backup makes:
 * names and targets valid UTF-8, no references, no extended attributes) whose nodes pass
 * encodeTree's checks: byte for byte what encodeTree builds through msgpackr, without a wire
 * object, a name Buffer and a generic map per node. Null for any other tree, or any node
 * encodeTree would refuse: encodeTree then builds it through msgpack, which gives the bytes or
 * the precise error. The mirror of decodeTreeInPlace.
 *
 * What msgpackr writes for `{ v, nodes }` (Packr with useRecords: false) and so what this writes:
 * every map as map16 (0xde) whatever its size; an integer that fits 32 bits in its smallest
 * form (wireInt turns every other into a bigint); a bigint as int64 (0xd3) when it fits, else
 * uint64 (0xcf); a string in its smallest str form by its UTF-8 length; an id as bin8; an
 * array in its smallest form. A node's keys come in NODE_KEYS order, the optional ones only
 * when set. The tests compare the two encoders on every kind of node and integer edge.
 */
export function encodeTreeInPlace(nodes: readonly TreeNode[]): Uint8Array | null {
  let order: readonly TreeNode[] = nodes;
  let bound = 16;
  for (let i = 0; i < nodes.length; i += 1) {
    const node = nodes[i];
    const size = plainNodeBound(node);
    if (size < 0) return null;
    bound += size;
    if (i > 0 && order === nodes && compareNames(nodes[i - 1]!.name, node!.name) >= 0) order = nodes.slice().sort((a, b) => compareNames(a.name, b.name));
  }
  if (order !== nodes) for (let i = 1; i < order.length; i += 1) if (compareNames(order[i - 1]!.name, order[i]!.name) === 0) return null;
  const out = room(bound);
  out.start();
  out.mapHeader(2);
  out.raw(KEY.v);
  out.uint(1);
  out.raw(KEY.nodes);
  out.arrayHeader(order.length);
  for (const node of order) writeNode(out, node);
  return out.take();
}

/** The most bytes `node` takes when it is a node in the common layout that encodeTree accepts; -1 otherwise. */
function plainNodeBound(node: TreeNode | undefined): number {
  if (typeof node !== 'object' || node === null) return -1;
  const { name, type } = node;
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') || holdsRawBytes(name)) return -1;
  if (!NODE_TYPES.includes(type) || node.ref !== undefined || node.xattrs !== undefined) return -1;
  if (!isUint(node.mode) || node.mode > MAX_MODE || !isUint(node.uid) || !isUint(node.gid) || !isUint(node.nlink) || !isUint(node.size)) return -1;
  if (!isInt64(node.mtimeNs) || !isInt64(node.ctimeNs) || !isUint64(node.ino) || !isUint64(node.dev)) return -1;
  let bound = 160 + 3 * name.length;
  const { content, subtree, linkTarget, rdev } = node;
  if (!fits(type, 'content', content) || !fits(type, 'subtree', subtree) || !fits(type, 'target', linkTarget) || !fits(type, 'rdev', rdev)) return -1;
  if (content !== undefined) {
    if (!Array.isArray(content)) return -1;
    for (const id of content) if (!isId(id)) return -1;
    bound += 16 + content.length * (ID_LENGTH + 2);
  }
  if (subtree !== undefined && !isId(subtree)) return -1;
  if (linkTarget !== undefined) {
    if (typeof linkTarget !== 'string' || holdsRawBytes(linkTarget)) return -1;
    bound += 16 + 3 * linkTarget.length;
  }
  if (rdev !== undefined && !isUint(rdev)) return -1;
  return bound;
}

/** Whether the optional key is there as the type wants it (required: set; forbidden: unset). */
function fits(type: TreeNode['type'], key: 'content' | 'subtree' | 'target' | 'rdev', value: unknown): boolean {
  const rule = extraKeyRule(type, key);
  return rule === 'required' ? value !== undefined : rule === 'forbidden' ? value === undefined : true;
}

function writeNode(out: Writer, node: TreeNode): void {
  const { content, subtree, linkTarget, rdev } = node;
  out.mapHeader(11 + (content === undefined ? 0 : 1) + (subtree === undefined ? 0 : 1) + (linkTarget === undefined ? 0 : 1) + (rdev === undefined ? 0 : 1));
  out.raw(KEY.name);
  out.str(node.name);
  out.raw(KEY.type);
  out.raw(TYPE[node.type]!);
  out.raw(KEY.mode);
  out.uint(node.mode);
  out.raw(KEY.uid);
  out.wireInt(node.uid);
  out.raw(KEY.gid);
  out.wireInt(node.gid);
  out.raw(KEY.mtime);
  out.wireInt(node.mtimeNs);
  out.raw(KEY.ctime);
  out.wireInt(node.ctimeNs);
  out.raw(KEY.ino);
  out.wireInt(node.ino);
  out.raw(KEY.dev);
  out.wireInt(node.dev);
  out.raw(KEY.nlink);
  out.wireInt(node.nlink);
  out.raw(KEY.size);
  out.wireInt(node.size);
  if (content !== undefined) {
    out.raw(KEY.content);
    out.arrayHeader(content.length);
    for (const id of content) out.id(id);
  }
  if (subtree !== undefined) {
    out.raw(KEY.subtree);
    out.id(subtree);
  }
  if (linkTarget !== undefined) {
    out.raw(KEY.target);
    out.str(linkTarget);
  }
  if (rdev !== undefined) {
    out.raw(KEY.rdev);
    out.wireInt(rdev);
  }
}

const isUint = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER;
const isInt64 = (value: unknown): value is bigint => typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX;
const isUint64 = (value: unknown): value is bigint => typeof value === 'bigint' && value >= 0n && value <= UINT64_MAX;
const isId = (value: unknown): value is Id => value instanceof Uint8Array && value.byteLength === ID_LENGTH;

/** The msgpack bytes of a fixstr: how map keys and node types are written. */
function fixstr(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  return Uint8Array.of(0xa0 | bytes.length, ...bytes);
}

const KEY = {
  v: fixstr('v'), nodes: fixstr('nodes'), name: fixstr('name'), type: fixstr('type'), mode: fixstr('mode'), uid: fixstr('uid'),
  gid: fixstr('gid'), mtime: fixstr('mtime'), ctime: fixstr('ctime'), ino: fixstr('ino'), dev: fixstr('dev'), nlink: fixstr('nlink'),
  size: fixstr('size'), content: fixstr('content'), subtree: fixstr('subtree'), target: fixstr('target'), rdev: fixstr('rdev'),
} as const;
const TYPE: Readonly<Record<string, Uint8Array>> = Object.fromEntries(NODE_TYPES.map((type) => [type, fixstr(type)]));

/** The buffer trees are written into, reused from tree to tree (grown to the largest so far). */
interface Writer {
  start(): void;
  raw(bytes: Uint8Array): void;
  mapHeader(size: number): void;
  arrayHeader(length: number): void;
  uint(value: number): void;
  /** An integer as wireInt gives it to msgpack: a number when it fits 32 bits, else a bigint. */
  wireInt(value: number | bigint): void;
  str(text: string): void;
  id(id: Id): void;
  /** A copy of what was written since start(), exactly sized. */
  take(): Uint8Array;
}

let writer: Writer | undefined;
let capacity = 0;

/** The Writer, with at least `bytes` of room. */
function room(bytes: number): Writer {
  if (writer === undefined || capacity < bytes) {
    capacity = Math.max(bytes, capacity * 2, 64 * 1024);
    writer = createWriter(Buffer.allocUnsafe(capacity));
  }
  return writer;
}

function createWriter(buffer: Buffer): Writer {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let at = 0;
  const number = (value: number): void => {
    if (value >= 0) {
      if (value < 0x80) buffer[at++] = value;
      else if (value < 0x100) {
        buffer[at++] = 0xcc;
        buffer[at++] = value;
      } else if (value < 0x10000) {
        buffer[at++] = 0xcd;
        view.setUint16(at, value);
        at += 2;
      } else {
        buffer[at++] = 0xce;
        view.setUint32(at, value);
        at += 4;
      }
    } else if (value >= -0x20) buffer[at++] = 0x100 + value;
    else if (value >= -0x80) {
      buffer[at++] = 0xd0;
      buffer[at++] = value + 0x100;
    } else if (value >= -0x8000) {
      buffer[at++] = 0xd1;
      view.setInt16(at, value);
      at += 2;
    } else {
      buffer[at++] = 0xd2;
      view.setInt32(at, value);
      at += 4;
    }
  };
  const big = (value: bigint): void => {
    if (value <= INT64_MAX) {
      buffer[at++] = 0xd3;
      view.setBigInt64(at, value);
    } else {
      buffer[at++] = 0xcf;
      view.setBigUint64(at, value);
    }
    at += 8;
  };
  return {
    start() {
      at = 0;
    },
    raw(bytes) {
      buffer.set(bytes, at);
      at += bytes.length;
    },
    mapHeader(size) {
      buffer[at++] = 0xde;
      buffer[at++] = size >> 8;
      buffer[at++] = size & 0xff;
    },
    arrayHeader(length) {
      if (length < 0x10) buffer[at++] = 0x90 | length;
      else if (length < 0x10000) {
        buffer[at++] = 0xdc;
        view.setUint16(at, length);
        at += 2;
      } else {
        buffer[at++] = 0xdd;
        view.setUint32(at, length);
        at += 4;
      }
    },
    uint: number,
    wireInt(value) {
      if (typeof value === 'number') {
        if (value >= -0x8000_0000 && value <= 0xffff_ffff) number(value);
        else big(BigInt(value));
      } else if (value >= -0x8000_0000n && value <= 0xffff_ffffn) number(Number(value));
      else big(value);
    },
    str(text) {
      // The header's size follows the UTF-8 length; ASCII (most names) is written by hand.
      let ascii = text.length < 0x20;
      for (let i = 0; ascii && i < text.length; i += 1) if (text.charCodeAt(i) >= 0x80) ascii = false;
      if (ascii) {
        buffer[at++] = 0xa0 | text.length;
        for (let i = 0; i < text.length; i += 1) buffer[at++] = text.charCodeAt(i);
        return;
      }
      const length = Buffer.byteLength(text, 'utf8');
      if (length < 0x20) buffer[at++] = 0xa0 | length;
      else if (length < 0x100) {
        buffer[at++] = 0xd9;
        buffer[at++] = length;
      } else if (length < 0x10000) {
        buffer[at++] = 0xda;
        view.setUint16(at, length);
        at += 2;
      } else {
        buffer[at++] = 0xdb;
        view.setUint32(at, length);
        at += 4;
      }
      at += buffer.write(text, at, length, 'utf8');
    },
    id(id) {
      buffer[at++] = 0xc4;
      buffer[at++] = ID_LENGTH;
      buffer.set(id, at);
      at += ID_LENGTH;
    },
    take() {
      return new Uint8Array(buffer.subarray(0, at));
    },
  };
}
