import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameFromBytes } from '@cairn/core';
import { decodeTree, encodeTree } from '@cairn/index';
import type { TreeNode } from '@cairn/index';
import { encodeTreeByMsgpack } from '../src/tree.js';
import { encodeTreeInPlace } from '../src/tree-encode-fast.js';
import { fixedId, nodeFields, plainNodes, randomId } from './helpers.js';

const base = nodeFields;

/** What encoding gives: the bytes, or the error (class and message). */
function outcome(encode: () => Uint8Array): unknown {
  try {
    return { bytes: Buffer.from(encode()).toString('hex') };
  } catch (error) {
    return { error: (error as Error).constructor.name, message: (error as Error).message };
  }
}

/** encodeTree gives what msgpackr gives: the same bytes, or the same error. */
function agree(nodes: readonly TreeNode[]): void {
  expect(outcome(() => encodeTree(nodes))).toEqual(outcome(() => encodeTreeByMsgpack(nodes)));
}

/** The integers where msgpack's encodings change, and the ends of each field's range. */
const EDGES = [0, 1, 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 2 ** 32, 2 ** 53 - 1];
const SIGNED = [0n, -1n, -0x20n, -0x21n, -0x80n, -0x81n, -0x8000n, -0x8001n, -0x8000_0000n, -0x8000_0001n, 0xffff_ffffn, 0x1_0000_0000n, -(2n ** 63n), 2n ** 63n - 1n];
const UNSIGNED = [0n, 0x7fn, 0x80n, 0xffff_ffffn, 0x1_0000_0000n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

describe('encodeTree written straight', () => {
  it('writes what msgpackr writes for every kind of node, name and integer edge', () => {
    const nodes: TreeNode[] = [
      ...plainNodes,
      { ...base, name: 'long-target', type: 'symlink', linkTarget: 'x'.repeat(70_000) },
      { ...base, name: 'accented-target', type: 'symlink', linkTarget: `zïel/\u{1F600}/${'é'.repeat(200)}` },
      { ...base, name: 'many', type: 'file', content: Array.from({ length: 70_000 }, (_, i) => fixedId(i % 256)) },
      { ...base, name: 'sixteen', type: 'file', content: Array.from({ length: 16 }, () => randomId()) },
      { ...base, name: 'x'.repeat(31), type: 'file', content: [] },
      { ...base, name: 'y'.repeat(32), type: 'file', content: [] },
      { ...base, name: 'é'.repeat(16), type: 'file', content: [] }, // 16 characters, 32 bytes: str8
    ];
    EDGES.forEach((n, i) => nodes.push({ ...base, name: `uint-${i}`, type: 'file', content: [], uid: n, gid: n, nlink: n, size: n, mode: Math.min(n, 0o7777) }));
    SIGNED.forEach((n, i) => nodes.push({ ...base, name: `time-${i}`, type: 'file', content: [], mtimeNs: n, ctimeNs: -n < 2n ** 63n ? -n : n }));
    UNSIGNED.forEach((n, i) => nodes.push({ ...base, name: `inode-${i}`, type: 'dir', subtree: fixedId(i), ino: n, dev: n }));
    expect(encodeTreeInPlace(nodes)).not.toBeNull();
    agree(nodes);
    agree([]);
    expect(decodeTree(encodeTree(nodes), 'tree')).toHaveLength(nodes.length);
  });

  it('sorts names by their bytes, above U+FFFF after U+E000–U+FFFF as UTF-8 does, whatever order they come in', () => {
    const names = ['b', 'a', 'ab', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\uD7FF', 'Z', 'é', '\u0800'];
    const nodes = names.map((name): TreeNode => ({ ...base, name, type: 'file', content: [] }));
    expect(encodeTreeInPlace(nodes)).not.toBeNull();
    agree(nodes);
    agree(nodes.slice().reverse());
  });

  it('writes the same bytes before and after its buffer grew, and after it went back to small trees', () => {
    const small = plainNodes.slice(0, 3);
    const large = Array.from({ length: 3_000 }, (_, i): TreeNode => ({ ...base, name: `file-${String(i).padStart(5, '0')}`, type: 'file', content: [fixedId(i % 256)] }));
    const huge = [{ ...base, name: 'huge', type: 'file' as const, content: Array.from({ length: 40_000 }, (_, i) => fixedId(i % 256)) }];
    for (const nodes of [small, large, small, huge, large, small]) {
      expect(encodeTreeInPlace(nodes)).not.toBeNull();
      agree(nodes);
    }
  });

  it('agrees with msgpackr on random trees', () => {
    const name = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }))
      .filter((text) => text !== '.' && text !== '..' && !text.includes('/') && !text.includes('\0'));
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    const uint = fc.oneof(fc.constantFrom(...EDGES), fc.integer({ min: 0, max: 2 ** 40 }));
    const node = fc.record({
      name,
      kind: fc.constantFrom('file', 'dir', 'symlink', 'fifo', 'chardev'),
      uid: uint, gid: uint, size: uint, nlink: uint, mode: fc.integer({ min: 0, max: 0o7777 }),
      mtimeNs: int64, ctimeNs: int64, ino: uint64, dev: uint64,
      ids: fc.integer({ min: 0, max: 20 }), target: fc.string({ unit: 'binary', maxLength: 300 }), rdev: fc.option(uint, { nil: undefined }),
    }).map(({ kind, ids, target, rdev, ...fields }): TreeNode => {
      const common = { ...fields };
      switch (kind) {
        case 'file': return { ...common, type: 'file', content: Array.from({ length: ids }, (_, i) => fixedId(i)) };
        case 'dir': return { ...common, type: 'dir', subtree: fixedId(ids) };
        case 'symlink': return { ...common, type: 'symlink', linkTarget: target };
        default: return rdev === undefined ? { ...common, type: kind as 'fifo' } : { ...common, type: kind as 'fifo', rdev };
      }
    });
    fc.assert(fc.property(fc.array(node, { maxLength: 40 }), (nodes) => {
      agree(nodes);
    }), { numRuns: 300 });
  });

  it('leaves to msgpackr what it does not write: references, extended attributes, names that are not UTF-8, and wrong nodes, which fail as before', () => {
    const raw = nameFromBytes(new Uint8Array([0x66, 0xff, 0x6f]));
    const ok: TreeNode = { ...base, name: 'ok', type: 'file', content: [] };
    const others: TreeNode[][] = [
      [ok, { ...base, name: 'by-ref', type: 'file', ref: { id: 'abc123', commit: 'def456' } }],
      [ok, { ...base, name: 'attrs', type: 'file', content: [], xattrs: [{ name: 'user.a', value: new Uint8Array([1, 2]) }] }],
      [ok, { ...base, name: 'no-attrs', type: 'file', content: [], xattrs: [] }],
      [ok, { ...base, name: raw, type: 'file', content: [] }],
      [ok, { ...base, name: 'raw-target', type: 'symlink', linkTarget: raw }],
    ];
    for (const nodes of others) {
      expect(encodeTreeInPlace(nodes)).toBeNull();
      agree(nodes);
    }
    const wrong: unknown[][] = [
      [ok, { ...ok }], // a name twice
      [{ ...ok, name: 'b' }, { ...ok, name: 'a' }, { ...ok, name: 'b' }], // twice, unsorted
      [{ ...ok, name: '' }], [{ ...ok, name: '..' }], [{ ...ok, name: 'a/b' }], [{ ...ok, name: 'a\0' }], [{ ...ok, name: 7 }],
      [{ ...ok, type: 'door' }], [{ ...ok, mode: 0o10000 }], [{ ...ok, uid: -1 }], [{ ...ok, size: 1.5 }], [{ ...ok, nlink: 2 ** 53 }],
      [{ ...ok, mtimeNs: 2n ** 63n }], [{ ...ok, ctimeNs: 5 }], [{ ...ok, ino: -1n }], [{ ...ok, dev: 2n ** 64n }],
      [{ ...ok, content: undefined }], [{ ...ok, content: [new Uint8Array(31)] }], [{ ...ok, content: 'x' }],
      [{ ...ok, subtree: fixedId(1) }], [{ ...ok, type: 'dir', content: undefined }], [{ ...ok, type: 'dir', content: undefined, subtree: new Uint8Array(3) }],
      [{ ...ok, type: 'symlink', content: undefined, linkTarget: 5 }], [{ ...ok, type: 'fifo', content: undefined, rdev: -1 }], [{ ...ok, rdev: 1 }],
      [null], [7],
    ];
    for (const nodes of wrong) {
      expect(encodeTreeInPlace(nodes as TreeNode[])).toBeNull();
      const failure = outcome(() => encodeTree(nodes as TreeNode[]));
      expect(failure).toHaveProperty('error');
      expect(failure).toEqual(outcome(() => encodeTreeByMsgpack(nodes as TreeNode[])));
    }
  });

  it('gives each tree bytes of its own, not a view of the buffer it reuses', () => {
    const first = encodeTree([{ ...base, name: 'a', type: 'file', content: [fixedId(1)] }]);
    const copy = Buffer.from(first).toString('hex');
    encodeTree([{ ...base, name: 'b', type: 'file', content: [fixedId(2)] }]);
    expect(Buffer.from(first).toString('hex')).toBe(copy);
    expect(Object.getPrototypeOf(first)).toBe(Uint8Array.prototype);
    expect(first.byteLength).toBe(first.buffer.byteLength);
  });
});
