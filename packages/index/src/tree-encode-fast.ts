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

/**
 * The buffer trees are written into, reused from tree to tree (grown to the largest so far). One
 * instance with its methods on the prototype: a writer of closures made anew when the buffer grew
 * gave writeNode new call targets, and V8 dropped its optimized code each time.
 */
class Writer {
  private buffer: Buffer = Buffer.alloc(0);
  private view = new DataView(this.buffer.buffer, 0, 0);
  private at = 0;

  /** Room for at least `bytes` from start(): the buffer, replaced by a larger one when it is smaller. */
  room(bytes: number): void {
    if (this.buffer.length >= bytes) return;
    this.buffer = Buffer.allocUnsafe(Math.max(bytes, this.buffer.length * 2, 64 * 1024));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  start(): void {
    this.at = 0;
  }

  raw(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.at);
    this.at += bytes.length;
  }

  mapHeader(size: number): void {
    const buffer = this.buffer;
    buffer[this.at++] = 0xde;
    buffer[this.at++] = size >> 8;
    buffer[this.at++] = size & 0xff;
  }

  arrayHeader(length: number): void {
    const buffer = this.buffer;
    if (length < 0x10) buffer[this.at++] = 0x90 | length;
    else if (length < 0x10000) {
      buffer[this.at++] = 0xdc;
      this.view.setUint16(this.at, length);
      this.at += 2;
    } else {
      buffer[this.at++] = 0xdd;
      this.view.setUint32(this.at, length);
      this.at += 4;
    }
  }

  uint(value: number): void {
    this.number(value);
  }

  /** An integer as wireInt gives it to msgpack: a number when it fits 32 bits, else a bigint. */
  wireInt(value: number | bigint): void {
    if (typeof value === 'number') {
      if (value >= -0x8000_0000 && value <= 0xffff_ffff) this.number(value);
      else this.big(BigInt(value));
    } else if (value >= -0x8000_0000n && value <= 0xffff_ffffn) this.number(Number(value));
    else this.big(value);
  }

  str(text: string): void {
    const buffer = this.buffer;
    // The header's size follows the UTF-8 length; ASCII (most names) is written by hand.
    let ascii = text.length < 0x20;
    for (let i = 0; ascii && i < text.length; i += 1) if (text.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii) {
      buffer[this.at++] = 0xa0 | text.length;
      for (let i = 0; i < text.length; i += 1) buffer[this.at++] = text.charCodeAt(i);
      return;
    }
    const length = Buffer.byteLength(text, 'utf8');
    if (length < 0x20) buffer[this.at++] = 0xa0 | length;
    else this.sized(length, 0xd9, 0xda, 0xdb);
    this.at += buffer.write(text, this.at, length, 'utf8');
  }

  id(id: Id): void {
    const buffer = this.buffer;
    buffer[this.at++] = 0xc4;
    buffer[this.at++] = ID_LENGTH;
    buffer.set(id, this.at);
    this.at += ID_LENGTH;
  }

  /** A copy of what was written since start(), exactly sized. */
  take(): Uint8Array {
    return new Uint8Array(this.buffer.subarray(0, this.at));
  }

  private number(value: number): void {
    const buffer = this.buffer;
    if (value >= 0) {
      if (value < 0x80) buffer[this.at++] = value;
      else this.sized(value, 0xcc, 0xcd, 0xce);
    } else if (value >= -0x20) buffer[this.at++] = 0x100 + value;
    else if (value >= -0x80) {
      buffer[this.at++] = 0xd0;
      buffer[this.at++] = value + 0x100;
    } else if (value >= -0x8000) {
      buffer[this.at++] = 0xd1;
      this.view.setInt16(this.at, value);
      this.at += 2;
    } else {
      buffer[this.at++] = 0xd2;
      this.view.setInt32(this.at, value);
      this.at += 4;
    }
  }

  /** An unsigned value (a uint or a str's length) after its tag, in the smallest of 8, 16 and 32 bits. */
  private sized(value: number, tag8: number, tag16: number, tag32: number): void {
    const buffer = this.buffer;
    if (value < 0x100) {
      buffer[this.at++] = tag8;
      buffer[this.at++] = value;
    } else if (value < 0x10000) {
      buffer[this.at++] = tag16;
      this.view.setUint16(this.at, value);
      this.at += 2;
    } else {
      buffer[this.at++] = tag32;
      this.view.setUint32(this.at, value);
      this.at += 4;
    }
  }

  private big(value: bigint): void {
    if (value <= INT64_MAX) {
      this.buffer[this.at++] = 0xd3;
      this.view.setBigInt64(this.at, value);
    } else {
      this.buffer[this.at++] = 0xcf;
      this.view.setBigUint64(this.at, value);
    }
    this.at += 8;
  }
}

const writer = new Writer();

/** The Writer, with at least `bytes` of room. */
function room(bytes: number): Writer {
  writer.room(bytes);
  return writer;
}
