import { describe, expect, it } from 'vitest';
import { CairnError, nameFromBytes, nameToBytes } from '@cairn/core';
import { decodeTree, encodeTree, scanTree } from '@cairn/index';
import type { TreeListing, TreeNode } from '@cairn/index';
import { fixedId, nodeFields, packr, randomId } from './helpers.js';

const WHERE = 'tree 3f2a… (snapshot 9c…: /src)';
const base = nodeFields;

const plain: TreeNode[] = [
  { ...base, name: 'zeta.txt', type: 'file', size: 11, content: [fixedId(1), fixedId(2)] },
  { ...base, name: 'src', type: 'dir', mode: 0o755, subtree: fixedId(3) },
  { ...base, name: 'link', type: 'symlink', mode: 0o777, linkTarget: '../elsewhere' },
  { ...base, name: 'pipe', type: 'fifo', rdev: 0 },
  { ...base, name: 'tty', type: 'chardev', rdev: 0x0501 },
  { ...base, name: 'disk', type: 'blockdev', rdev: 2 ** 40 },
  { ...base, name: 'sock', type: 'socket' },
  { ...base, name: 'empty', type: 'file', content: [] },
  { ...base, name: '\uFF21', type: 'file', content: [fixedId(4)] },
  { ...base, name: '\u{1F600}', type: 'file', content: [fixedId(5)] },
  { ...base, name: '\uFEFFbom', type: 'file', content: [] },
  { ...base, name: 'x'.repeat(300), type: 'file', content: [] },
  {
    ...base, name: 'old', type: 'file', content: [randomId()], mtimeNs: -1_500_000_000n, ctimeNs: -(2n ** 63n),
    ino: 2n ** 64n - 1n, dev: 2n ** 40n, size: Number.MAX_SAFE_INTEGER, uid: 2 ** 32, nlink: 70_000,
  },
];

/** The listing's view of entry i, for comparing with the node decodeTree gave. */
function view(listing: TreeListing, i: number): unknown {
  return {
    name: listing.name(i), nameBytes: [...listing.nameBytes(i)], type: listing.type(i), subtree: listing.subtree(i),
    size: listing.size(i), mtimeNs: listing.mtimeNs(i), content: listing.content(i), node: listing.node(i),
  };
}
function expected(node: TreeNode): unknown {
  return {
    name: node.name, nameBytes: [...nameToBytes(node.name)], type: node.type, subtree: node.subtree,
    size: node.size, mtimeNs: node.mtimeNs, content: node.content, node,
  };
}

/** What reading `bytes` gives, through scanTree or decodeTree: every entry, or the error. */
function read(bytes: Uint8Array, scan: boolean): unknown {
  try {
    if (scan) {
      const listing = scanTree(bytes, WHERE);
      return Array.from({ length: listing.length }, (_, i) => view(listing, i));
    }
    return decodeTree(bytes, WHERE).map(expected);
  } catch (error) {
    return { error: (error as Error).constructor.name, code: error instanceof CairnError ? error.code : undefined, message: (error as Error).message };
  }
}
const agree = (bytes: Uint8Array): void => expect(read(bytes, true)).toEqual(read(bytes, false));
/** True when scanTree read `bytes` in place (it builds a new node on each request), not through decodeTree (which holds them). */
const inPlace = (bytes: Uint8Array): boolean => {
  const listing = scanTree(bytes, WHERE);
  return listing.node(0) !== listing.node(0);
};

function wire(name: unknown, type: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type, mode: 0o644, uid: 0, gid: 0, mtime: 0, ctime: 0, ino: 1, dev: 1, nlink: 1, size: 0, ...extra };
}
const file = (name: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => wire(name, 'file', { content: [], ...extra });
const tree = (v: number, ...list: Record<string, unknown>[]): Uint8Array => packr.pack({ v, nodes: list });

describe('the light tree decoder', () => {
  it('reads every node type as decodeTree does, and builds the full node on request', () => {
    agree(encodeTree(plain));
    expect(inPlace(encodeTree(plain))).toBe(true);
    agree(encodeTree([]));
    const listing = scanTree(encodeTree(plain), WHERE);
    const decoded = decodeTree(encodeTree(plain), WHERE);
    expect(listing.length).toBe(decoded.length);
    for (let i = 0; i < decoded.length; i += 1) expect(view(listing, i)).toEqual(expected(decoded[i]!));
  });

  it('reads a large tree', () => {
    const many = Array.from({ length: 3000 }, (_, i): TreeNode => (i % 7 === 0
      ? { ...base, name: `dir-${i}`, type: 'dir', subtree: randomId() }
      : { ...base, name: `file-${i}.ts`, type: 'file', size: i * 977, mtimeNs: BigInt(i) * 1_000_000_007n, content: [randomId(), randomId()] }));
    agree(encodeTree(many));
    expect(inPlace(encodeTree(many))).toBe(true);
  });

  it('reads trees with references, extended attributes and names that are not UTF-8 (through decodeTree)', () => {
    const raw = nameFromBytes(new Uint8Array([0x66, 0xff, 0x6f]));
    agree(encodeTree([
      ...plain,
      { ...base, name: 'by-ref', type: 'file', ref: { id: 'abc123', commit: 'def456' } },
      { ...base, name: 'attrs', type: 'file', content: [], xattrs: [{ name: 'user.a', value: new Uint8Array([1, 2]) }] },
      { ...base, name: raw, type: 'symlink', linkTarget: raw },
    ]));
    const withRef = encodeTree([...plain, { ...base, name: 'by-ref', type: 'file', ref: { id: 'abc123', commit: 'def456' } }]);
    agree(withRef);
    expect(inPlace(withRef)).toBe(false);
  });

  it('gives decodeTree\'s errors for a truncated tree, at every length', () => {
    const bytes = encodeTree(plain.slice(0, 5));
    for (let length = 0; length < bytes.length; length += 1) agree(bytes.subarray(0, length));
  });

  it('gives decodeTree\'s errors for bad names: empty, dot, slash, NUL, unsorted, repeated, invalid UTF-8', () => {
    for (const name of ['', '.', '..', 'a/b', 'a\0b']) agree(tree(1, file(name)));
    agree(tree(1, file('b'), file('a')));
    agree(tree(1, file('a'), file('a')));
    agree(tree(1, file('a'), file('ab'), file('b')));
    // A str of bytes that are not UTF-8, crafted by hand: msgpackr decodes it somehow; decodeTree decides.
    const crafted = tree(1, file('a\u00e9'));
    const at = Buffer.from(crafted).indexOf(Buffer.from('a\u00e9'));
    crafted[at + 1] = 0xff;
    agree(crafted);
    agree(tree(3, file(new Uint8Array([0x61, 0xff]))));
    agree(tree(3, file(new Uint8Array([0x61, 0x62]))));
    agree(tree(1, file(new Uint8Array([0x61, 0xff]))));
  });

  it('gives decodeTree\'s errors for wrong types, missing, forbidden, repeated and unknown keys', () => {
    const cases: Record<string, unknown>[] = [
      file('a', { mode: 0o10000 }), file('a', { mode: -1 }), file('a', { uid: -1 }), file('a', { uid: 1.5 }), file('a', { uid: 'x' }),
      file('a', { size: 2n ** 60n }), file('a', { mtime: 'now' }), file('a', { mtime: 1.5 }), file('a', { ino: -1 }), file('a', { dev: null }),
      file('a', { nlink: true }), file('a', { content: [fixedId(1).subarray(1)] }), file('a', { content: 'x' }), file('a', { content: [fixedId(1), 7] }),
      file('a', { subtree: fixedId(1) }), file('a', { target: 'x' }), file('a', { rdev: 1 }), file('a', { extra: 1 }),
      file('a', { ref: { id: 'a', commit: 'b' } }), file('a', { xattrs: [['user.a', new Uint8Array(1)]] }),
      wire('a', 'file'), wire('d', 'dir'), wire('d', 'dir', { subtree: 'x' }), wire('l', 'symlink'), wire('l', 'symlink', { target: 7 }),
      wire('t', 'tty'), wire('t', 7), wire('p', 'fifo', { rdev: -1 }), wire('p', 'fifo', { content: [] }),
      { type: 'file', content: [] }, { name: 'a', content: [] },
    ];
    for (const node of cases) agree(tree(1, node));
    // Keys in another order, and integers in float encodings, are read by decodeTree.
    const reordered = tree(1, { content: [], size: 3, name: 'a', type: 'file', mode: 1, uid: 0, gid: 0, mtime: 0, ctime: 0, ino: 1, dev: 1, nlink: 1 });
    agree(reordered);
    expect(inPlace(reordered)).toBe(true);
    agree(packr.pack({ v: 1, nodes: [file('a', { uid: 0.5 })] }));
    const float = packr.pack({ v: 1, nodes: [file('a', { uid: 2 ** 40 })] });
    agree(float);
    expect(inPlace(float)).toBe(false);
    const repeated = packr.pack({ v: 1, nodes: [file('a')] });
    // Rename the 'gid' key to 'uid', making a map with a repeated key.
    const gid = Buffer.from(repeated).indexOf(Buffer.from('gid'));
    repeated.set(Buffer.from('uid'), gid);
    agree(repeated);
  });

  it('gives decodeTree\'s errors for another version, extra root keys and what is not a tree', () => {
    for (const v of [0, 4, 99, 'one']) agree(packr.pack({ v, nodes: [] }));
    agree(packr.pack({ v: 1, nodes: [], extra: 1 }));
    agree(packr.pack({ v: 1 }));
    agree(packr.pack({ v: 1, nodes: {} }));
    agree(packr.pack([1, []]));
    agree(new Uint8Array([...encodeTree(plain), 0xc0]));
  });
});
