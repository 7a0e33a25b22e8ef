import { describe, expect, it } from 'vitest';
import { CairnError, nameFromBytes } from '@cairn/core';
import { decodeTree, encodeTree } from '@cairn/index';
import type { TreeNode } from '@cairn/index';
import { decodeTreeFully } from '../src/tree.js';
import { decodeTreeInPlace } from '../src/tree-decode-fast.js';
import { fixedId, nodeFields, packr, plainNodes, randomId } from './helpers.js';

const WHERE = 'tree 3f2a… (snapshot 9c…: /src)';
const base = nodeFields;

const plain = plainNodes;

/** What decoding gives: the nodes (with their keys in order), or the error. */
function outcome(decode: () => TreeNode[]): unknown {
  try {
    return decode().map((node) => ({ keys: Object.keys(node), node }));
  } catch (error) {
    return { error: (error as Error).constructor.name, code: error instanceof CairnError ? error.code : undefined, message: (error as Error).message };
  }
}
const agree = (bytes: Uint8Array): void =>
  expect(outcome(() => decodeTree(bytes, WHERE))).toEqual(outcome(() => decodeTreeFully(bytes, WHERE)));

function wire(name: unknown, type: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type, mode: 0o644, uid: 0, gid: 0, mtime: 0, ctime: 0, ino: 1, dev: 1, nlink: 1, size: 0, ...extra };
}
const file = (name: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => wire(name, 'file', { content: [], ...extra });
const tree = (v: number, ...list: Record<string, unknown>[]): Uint8Array => packr.pack({ v, nodes: list });

describe('decodeTree read in place', () => {
  it('gives the nodes the msgpack decoding gives, key for key, for every node type', () => {
    const bytes = encodeTree(plain);
    expect(() => decodeTreeInPlace(bytes)).not.toThrow();
    agree(bytes);
    agree(encodeTree([]));
    const many = Array.from({ length: 3000 }, (_, i): TreeNode => (i % 7 === 0
      ? { ...base, name: `dir-${i}`, type: 'dir', subtree: randomId() }
      : { ...base, name: `file-${i}.ts`, type: 'file', size: i * 977, mtimeNs: BigInt(i) * 1_000_000_007n, ino: BigInt(i), content: [randomId(), randomId()] }));
    const large = encodeTree(many);
    expect(decodeTreeInPlace(large)).toEqual(many.slice().sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))));
    agree(large);
  });

  it('gives ids of their own: plain Uint8Arrays, not views of the tree bytes', () => {
    const bytes = Buffer.from(encodeTree(plain));
    const nodes = decodeTree(bytes, WHERE);
    const zeta = nodes.find((node) => node.name === 'zeta.txt')!;
    const src = nodes.find((node) => node.name === 'src')!;
    expect(Object.getPrototypeOf(zeta.content![0]!)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(src.subtree!)).toBe(Uint8Array.prototype);
    bytes.fill(0);
    expect(zeta.content).toEqual([fixedId(1), fixedId(2)]);
    expect(src.subtree).toEqual(fixedId(3));
  });

  it('leaves references, extended attributes and names that are not UTF-8 to the msgpack decoding', () => {
    const raw = nameFromBytes(new Uint8Array([0x66, 0xff, 0x6f]));
    for (const extra of [
      { ...base, name: 'by-ref', type: 'file', ref: { id: 'abc123', commit: 'def456' } },
      { ...base, name: 'attrs', type: 'file', content: [], xattrs: [{ name: 'user.a', value: new Uint8Array([1, 2]) }] },
      { ...base, name: raw, type: 'symlink', linkTarget: raw },
    ] as TreeNode[]) {
      const bytes = encodeTree([...plain, extra]);
      expect(() => decodeTreeInPlace(bytes)).toThrow();
      agree(bytes);
    }
  });

  it('refuses what the msgpack decoding refuses, with its error: truncations, names, types, keys, versions', () => {
    const bytes = encodeTree(plain.slice(0, 6));
    for (let length = 0; length < bytes.length; length += 1) agree(bytes.subarray(0, length));
    for (const name of ['', '.', '..', 'a/b', 'a\0b']) agree(tree(1, file(name)));
    agree(tree(1, file('b'), file('a')));
    agree(tree(1, file('a'), file('a')));
    const crafted = tree(1, file('a\u00e9'));
    crafted[Buffer.from(crafted).indexOf(Buffer.from('a\u00e9')) + 1] = 0xff;
    agree(crafted);
    const cases: Record<string, unknown>[] = [
      file('a', { mode: 0o10000 }), file('a', { mode: -1 }), file('a', { uid: -1 }), file('a', { uid: 1.5 }), file('a', { uid: 'x' }),
      file('a', { size: 2n ** 60n }), file('a', { mtime: 'now' }), file('a', { mtime: 1.5 }), file('a', { ino: -1 }), file('a', { dev: null }),
      file('a', { nlink: true }), file('a', { content: [fixedId(1).subarray(1)] }), file('a', { content: 'x' }), file('a', { content: [fixedId(1), 7] }),
      file('a', { subtree: fixedId(1) }), file('a', { target: 'x' }), file('a', { rdev: 1 }), file('a', { extra: 1 }),
      wire('a', 'file'), wire('d', 'dir'), wire('d', 'dir', { subtree: 'x' }), wire('l', 'symlink'), wire('l', 'symlink', { target: 7 }),
      wire('t', 'tty'), wire('t', 7), wire('p', 'fifo', { rdev: -1 }), wire('p', 'fifo', { content: [] }),
      { type: 'file', content: [] }, { name: 'a', content: [] },
      { content: [], size: 3, name: 'a', type: 'file', mode: 1, uid: 0, gid: 0, mtime: 0, ctime: 0, ino: 1, dev: 1, nlink: 1 },
      file('a', { uid: 2 ** 40, mtime: -5, ino: 2n ** 63n }),
    ];
    for (const node of cases) agree(tree(1, node));
    for (const v of [0, 4, 99, 'one']) agree(packr.pack({ v, nodes: [] }));
    agree(packr.pack({ v: 1, nodes: [], extra: 1 }));
    agree(packr.pack([1, []]));
    agree(new Uint8Array([...encodeTree(plain), 0xc0]));
  });
});
