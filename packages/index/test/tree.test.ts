import { describe, expect, it } from 'vitest';
import { decodeTree, encodeTree } from '@cairn/index';
import type { TreeNode } from '@cairn/index';
import { expectCairnError, fixedId, nodeFields, packr, thrown } from './helpers.js';

const base = nodeFields;

const nodes: TreeNode[] = [
  { ...base, name: 'zeta.txt', type: 'file', size: 11, content: [fixedId(1), fixedId(2)] },
  { ...base, name: 'src', type: 'dir', mode: 0o755, subtree: fixedId(3) },
  { ...base, name: 'link', type: 'symlink', mode: 0o777, linkTarget: '../elsewhere' },
  { ...base, name: 'pipe', type: 'fifo', rdev: 0 },
  { ...base, name: 'tty', type: 'chardev', rdev: 0x0501 },
  { ...base, name: 'sock', type: 'socket' },
  { ...base, name: 'empty', type: 'file', content: [] },
  { ...base, name: '\uFF21', type: 'file', content: [fixedId(4)] }, // fullwidth A: UTF-8 EF BC A1
  { ...base, name: '\u{1F600}', type: 'file', content: [fixedId(5)] }, // emoji: UTF-8 F0 …, but UTF-16 D83D < FF21
  { ...base, name: 'old', type: 'file', content: [], mtimeNs: -1_500_000_000n, ino: 2n ** 64n - 1n, dev: 2n ** 40n, size: 2 ** 40 },
];
const byUtf8 = (list: readonly TreeNode[]): TreeNode[] =>
  [...list].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
const WHERE = 'tree 3f2a… in snapshot 9c…';

/** A node map as the format writes it, for crafting broken trees. */
function wire(name: string, type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, type, mode: 0o644, uid: 0, gid: 0, mtime: 0, ctime: 0, ino: 1, dev: 1, nlink: 1, size: 0, ...extra };
}
const tree = (...list: Record<string, unknown>[]): Uint8Array => packr.pack({ v: 1, nodes: list });
const file = (name: string): Record<string, unknown> => wire(name, 'file', { content: [] });

describe('trees', () => {
  it('round-trips every node type, sorted by the UTF-8 bytes of the names', () => {
    const decoded = decodeTree(encodeTree(nodes), WHERE);
    expect(decoded).toEqual(byUtf8(nodes));
    const names = decoded.map((n) => n.name);
    expect(names.indexOf('\uFF21')).toBeLessThan(names.indexOf('\u{1F600}')); // not UTF-16 order
  });

  it('gives the same bytes whatever the order of the input', () => {
    const bytes = encodeTree(nodes);
    expect(encodeTree([...nodes].reverse())).toEqual(bytes);
    expect(encodeTree(byUtf8(nodes))).toEqual(bytes);
    expect(encodeTree(decodeTree(bytes, WHERE))).toEqual(bytes);
  });

  it('writes node keys in the documented order, optional ones only when present', () => {
    const decoded = packr.unpack(encodeTree(nodes)) as { v: number; nodes: Record<string, unknown>[] };
    expect(decoded.v).toBe(1);
    const head = ['name', 'type', 'mode', 'uid', 'gid', 'mtime', 'ctime', 'ino', 'dev', 'nlink', 'size'];
    const keysOf = (name: string): string[] => Object.keys(decoded.nodes.find((n) => n['name'] === name)!);
    expect(keysOf('zeta.txt')).toEqual([...head, 'content']);
    expect(keysOf('src')).toEqual([...head, 'subtree']);
    expect(keysOf('link')).toEqual([...head, 'target']);
    expect(keysOf('tty')).toEqual([...head, 'rdev']);
    expect(keysOf('sock')).toEqual(head);
    expect(decoded.nodes.find((n) => n['name'] === 'zeta.txt')!['mtime']).toBe(base.mtimeNs);
  });

  it('reads integers msgpack gives as numbers or bigints', () => {
    const bytes = tree(wire('a', 'file', { content: [], mtime: 5, ctime: 2n ** 40n, ino: 7n, size: 3n, uid: 2n }));
    const [node] = decodeTree(bytes, WHERE);
    expect(node).toMatchObject({ mtimeNs: 5n, ctimeNs: 2n ** 40n, ino: 7n, size: 3, uid: 2 });
  });

  it('refuses duplicate names and names a reader would refuse, when encoding', () => {
    const twice = [nodes[0]!, { ...nodes[6]!, name: 'zeta.txt' }];
    const error = thrown(() => encodeTree(twice));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('"zeta.txt"');
    for (const name of ['', '.', '..', 'a/b', 'a\0b']) {
      expect(() => encodeTree([{ ...nodes[6]!, name }])).toThrow(TypeError);
    }
    expect(() => encodeTree([{ ...base, name: 'f', type: 'file' }])).toThrow(/"f".* file without content/);
    expect(() => encodeTree([{ ...base, name: 'd', type: 'dir', content: [] }])).toThrow(/content is only for files/);
    expect(() => encodeTree([{ ...nodes[6]!, mode: 0o100644 }])).toThrow(RangeError);
  });

  it('refuses names that could escape the restore folder, naming them', () => {
    for (const [name, shown] of [['', 'is empty'], ['.', '"."'], ['..', '".."'], ['../../etc', '"../../etc" contains \'/\''], ['a\0b', 'contains NUL']]) {
      expectCairnError(() => decodeTree(tree(file(name!)), WHERE), 'ERR_FORMAT', WHERE, shown!);
    }
  });

  it('refuses unsorted and repeated names', () => {
    expectCairnError(() => decodeTree(tree(file('b'), file('a')), WHERE), 'ERR_FORMAT', WHERE, '"a" comes after "b"');
    expectCairnError(() => decodeTree(tree(file('a'), file('a')), WHERE), 'ERR_FORMAT', WHERE, '"a" is repeated');
    // UTF-16 order is not UTF-8 order.
    expectCairnError(() => decodeTree(tree(file('\u{1F600}'), file('\uFF21')), WHERE), 'ERR_FORMAT', 'comes after');
  });

  it('refuses nodes lacking what their type needs, or holding what it must not', () => {
    const cases: [Record<string, unknown>, string][] = [
      [wire('f', 'file'), '"f") is a file without content'],
      [wire('d', 'dir'), '"d") is a dir without subtree'],
      [wire('l', 'symlink'), '"l") is a symlink without target'],
      [wire('x', 'door'), '"x").type is "door", expected one of file, dir'],
      [wire('d', 'dir', { subtree: fixedId(1), content: [] }), '"d").content is only for files'],
      [wire('f', 'file', { content: [fixedId(1), new Uint8Array(8)] }), '"f").content[1] is 8 bytes'],
      [wire('f', 'file', { content: [], mode: 0o100644 }), 'more than 0o7777'],
      [wire('f', 'file', { content: [], owner: 'me' }), 'nodes[0].owner is not a known key'],
      [wire('f', 'file', { content: [], size: -1 }), '"f").size is -1, expected an unsigned integer'],
      [{ ...wire('f', 'file', { content: [] }), mtime: undefined }, '"f").mtime is missing'],
    ];
    for (const [node, message] of cases) expectCairnError(() => decodeTree(tree(node), WHERE), 'ERR_FORMAT', WHERE, message);
  });

  it('refuses another version, a truncated tree, and what is not a tree', () => {
    expectCairnError(() => decodeTree(packr.pack({ v: 4, nodes: [] }), WHERE), 'ERR_VERSION', WHERE, 'version 4', 'reads versions 1 to 3');
    const bytes = encodeTree(nodes);
    expectCairnError(() => decodeTree(bytes.subarray(0, bytes.length - 10), WHERE), 'ERR_FORMAT', WHERE, 'truncated');
    expectCairnError(() => decodeTree(packr.pack('hello'), WHERE), 'ERR_FORMAT', 'the top level is "hello"');
    expectCairnError(() => decodeTree(packr.pack({ v: 1 }), WHERE), 'ERR_FORMAT', 'nodes is missing');
  });
});
