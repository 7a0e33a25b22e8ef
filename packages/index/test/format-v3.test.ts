import { describe, expect, it } from 'vitest';
import { nameFromBytes } from '@cairn/core';
import { decodeTree, encodeTree, treeToJson } from '@cairn/index';
import type { TreeNode } from '@cairn/index';
import { expectCairnError, fixedId, packr, thrown } from './helpers.js';

const WHERE = 'tree 3f2a…';
const base = { mode: 0o644, uid: 1, gid: 1, mtimeNs: 5n, ctimeNs: 6n, ino: 7n, dev: 8n, nlink: 1, size: 0 } as const;
/** The name of the bytes 66 ff 6f: "f", an invalid byte, "o". */
const rawName = nameFromBytes(Uint8Array.from([0x66, 0xff, 0x6f]));
const rawTarget = nameFromBytes(Uint8Array.from([0x2e, 0x2e, 0x2f, 0xe9, 0x74, 0xe9])); // "../été" in Latin-1
const plain: TreeNode = { ...base, name: 'plain', type: 'file', content: [fixedId(1)] };
type Wire = { v: number; nodes: Record<string, unknown>[] };
const wire = (name: unknown, extra: Record<string, unknown> = { content: [] }): Record<string, unknown> =>
  ({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, ctime: 0, ino: 1, dev: 1, nlink: 1, size: 0, ...extra });

describe('format version 3 of trees: names as bytes, extended attributes', () => {
  it('writes a name and a symlink target that are not valid UTF-8 as bin, in version 3, and reads them back', () => {
    const nodes: TreeNode[] = [
      { ...base, name: rawName, type: 'dir', subtree: fixedId(2) },
      { ...base, name: 'link', type: 'symlink', linkTarget: rawTarget },
      plain,
    ];
    const bytes = encodeTree(nodes);
    const raw = packr.unpack(bytes) as Wire;
    expect(raw.v).toBe(3);
    const byName = (name: string): Record<string, unknown> | undefined => raw.nodes.find((n) => n['name'] === name);
    expect(raw.nodes[0]?.['name']).toEqual(Uint8Array.from([0x66, 0xff, 0x6f]));
    expect(byName('link')?.['target']).toEqual(Uint8Array.from([0x2e, 0x2e, 0x2f, 0xe9, 0x74, 0xe9]));
    expect(byName('plain')?.['name']).toBe('plain');
    const decoded = decodeTree(bytes, WHERE);
    expect(decoded.map((n) => n.name)).toEqual([rawName, 'link', 'plain']); // 66 ff 6f < 6c… < 70…
    expect(decoded.find((n) => n.name === rawName)).toEqual(nodes[0]);
    expect(decoded.find((n) => n.name === 'link')?.linkTarget).toBe(rawTarget);
    expect(Buffer.compare(encodeTree(decoded), bytes)).toBe(0);
    // Only what needs version 3 makes a tree version 3.
    expect((packr.unpack(encodeTree([plain, { ...base, name: 'é', type: 'symlink', linkTarget: 'été' }])) as Wire).v).toBe(1);
  });

  it('orders names by their bytes, raw bytes included', () => {
    const names = [nameFromBytes(Uint8Array.from([0xff])), 'z', '\u{1F600}', nameFromBytes(Uint8Array.from([0xc3])), 'é', 'A'];
    const nodes = names.map((name, i): TreeNode => ({ ...base, name, type: 'file', content: [fixedId(i)] }));
    const order = decodeTree(encodeTree([...nodes].reverse()), WHERE).map((n) => n.name);
    // A < z < C3 (raw) < C3 A9 (é) < F0 (emoji) < FF (raw)
    expect(order).toEqual(['A', 'z', names[3], 'é', '\u{1F600}', names[0]]);
    const unsorted = packr.pack({ v: 3, nodes: [wire(Buffer.from([0xff])), wire('z')] });
    expectCairnError(() => decodeTree(unsorted, WHERE), 'ERR_FORMAT', WHERE, 'names are not sorted');
    const repeated = packr.pack({ v: 3, nodes: [wire(Buffer.from([0xff])), wire(Buffer.from([0xff]))] });
    expectCairnError(() => decodeTree(repeated, WHERE), 'ERR_FORMAT', WHERE, 'is repeated');
  });

  it('applies the name rules to bin names, and refuses bin in older versions and bin that is valid UTF-8', () => {
    const cases: [unknown, string][] = [
      [Buffer.alloc(0), 'is a bin of valid UTF-8'], // an empty name is refused either way
      [Buffer.from([0xff, 0x2f, 0x61]), "contains '/'"],
      [Buffer.from([0xff, 0x00]), 'contains NUL'],
      [Buffer.from('ok'), 'is a bin of valid UTF-8'],
    ];
    for (const [name, message] of cases) {
      expectCairnError(() => decodeTree(packr.pack({ v: 3, nodes: [wire(name)] }), WHERE), 'ERR_FORMAT', WHERE, message);
    }
    expectCairnError(() => decodeTree(packr.pack({ v: 2, nodes: [wire(Buffer.from([0xff]))] }), WHERE), 'ERR_FORMAT', 'expected a string');
    expectCairnError(() => decodeTree(packr.pack({ v: 1, nodes: [wire('l', { type: 'symlink', target: Buffer.from([0xff]) })] }), WHERE), 'ERR_FORMAT', 'expected a string');
    expect(String(thrown(() => encodeTree([{ ...plain, name: `a/${rawName}` }])))).toContain("contains '/'");
    expect(thrown(() => encodeTree([{ ...plain, name: 'a\ud800' }]))).toBeInstanceOf(RangeError);
  });

  it('round-trips extended attributes sorted by name, in version 3, and refuses them in older versions', () => {
    const value = Uint8Array.from([0, 1, 0xff]);
    const node: TreeNode = { ...plain, xattrs: [{ name: 'user.z', value }, { name: 'security.selinux', value: Uint8Array.from([0x61]) }, { name: 'user.a', value: new Uint8Array(0) }] };
    const bytes = encodeTree([node]);
    const raw = packr.unpack(bytes) as Wire;
    expect(raw.v).toBe(3);
    expect(Object.keys(raw.nodes[0]!).at(-1)).toBe('xattrs');
    expect((raw.nodes[0]!['xattrs'] as [string, Uint8Array][]).map(([name]) => name)).toEqual(['security.selinux', 'user.a', 'user.z']);
    const [decoded] = decodeTree(bytes, WHERE);
    expect(decoded?.xattrs).toEqual([{ name: 'security.selinux', value: Uint8Array.from([0x61]) }, { name: 'user.a', value: new Uint8Array(0) }, { name: 'user.z', value }]);
    expect(treeToJson([decoded!])[0]?.xattrs?.[2]).toEqual({ name: 'user.z', value: '0001ff' });
    // No xattrs (or an empty list) writes no key.
    expect(Object.keys((packr.unpack(encodeTree([{ ...plain, xattrs: [] }])) as Wire).nodes[0]!)).not.toContain('xattrs');
    expect(String(thrown(() => encodeTree([{ ...plain, xattrs: [{ name: 'user.a', value }, { name: 'user.a', value }] }])))).toContain('twice');
    const xattrs = [['user.a', Buffer.from('x')]];
    expectCairnError(() => decodeTree(packr.pack({ v: 2, nodes: [wire('f', { content: [], xattrs })] }), WHERE), 'ERR_FORMAT', 'xattrs is not a known key');
    expectCairnError(() => decodeTree(packr.pack({ v: 3, nodes: [wire('f', { content: [], xattrs: [] })] }), WHERE), 'ERR_FORMAT', 'xattrs is empty');
    expectCairnError(() => decodeTree(packr.pack({ v: 3, nodes: [wire('f', { content: [], xattrs: [['user.b', Buffer.from('')], ['user.a', Buffer.from('')]] })] }), WHERE), 'ERR_FORMAT', 'out of order');
    expectCairnError(() => decodeTree(packr.pack({ v: 3, nodes: [wire('f', { content: [], xattrs: [['user.a', 'text']] })] }), WHERE), 'ERR_FORMAT', 'expected a bin');
    expectCairnError(() => decodeTree(packr.pack({ v: 3, nodes: [wire('f', { content: [], xattrs: [['', Buffer.from('')]] })] }), WHERE), 'ERR_FORMAT', 'is empty');
  });
});
