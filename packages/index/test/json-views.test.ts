import { describe, expect, it } from 'vitest';
import { decodeTree, encodeTree, indexFileToJson, nsToIso, snapshotToJson, treeToJson } from '@cairn/index';
import type { Snapshot, TreeNode } from '@cairn/index';
import { fixedId } from './helpers.js';

const hex = (byte: number): string => byte.toString(16).padStart(2, '0').repeat(32);

describe('JSON views', () => {
  it('shows times in ISO 8601 with all nine fraction digits, before 1970 too', () => {
    expect(nsToIso(1_704_164_645_123_456_789n)).toBe('2024-01-02T03:04:05.123456789Z');
    expect(nsToIso(0n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(nsToIso(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(nsToIso(1_000_000_007n)).toBe('1970-01-01T00:00:01.000000007Z');
  });

  it('turns tree nodes into JSON-safe objects', () => {
    const nodes: TreeNode[] = [
      { name: 'run.sh', type: 'file', mode: 0o755, uid: 1, gid: 2, mtimeNs: 1_704_164_645_123_456_789n, ctimeNs: 5n, ino: 2n ** 63n, dev: 3n, nlink: 2, size: 9, content: [fixedId(1)] },
      { name: 'lib', type: 'dir', mode: 0o4750, uid: 0, gid: 0, mtimeNs: 0n, ctimeNs: 0n, ino: 1n, dev: 3n, nlink: 1, size: 0, subtree: fixedId(2) },
      { name: 'to', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeNs: 0n, ctimeNs: 0n, ino: 1n, dev: 3n, nlink: 1, size: 0, linkTarget: 'lib' },
    ];
    const json = treeToJson(decodeTree(encodeTree(nodes), 'tree x'));
    expect(JSON.parse(JSON.stringify(json))).toEqual(json); // nothing JSON would lose
    const byName = Object.fromEntries(json.map((n) => [n.name, n]));
    expect(byName['run.sh']).toEqual({
      name: 'run.sh', type: 'file', mode: '0755', uid: 1, gid: 2,
      mtime: '2024-01-02T03:04:05.123456789Z', mtimeNs: '1704164645123456789',
      ctime: '1970-01-01T00:00:00.000000005Z', ctimeNs: '5',
      ino: '9223372036854775808', dev: '3', nlink: 2, size: 9, content: [hex(1)],
    });
    expect(byName['lib']).toMatchObject({ mode: '4750', subtree: hex(2) });
    expect(byName['lib']).not.toHaveProperty('content');
    expect(byName['to']).toMatchObject({ mode: '0777', linkTarget: 'lib' });
  });

  it('turns a snapshot and index packs into JSON-safe objects', () => {
    const summary = { filesNew: 1, filesChanged: 0, filesUnchanged: 0, filesReferenced: 0, dirs: 1, symlinks: 0, others: 0, bytesRead: 5, bytesAdded: 5, dataBlobsAdded: 1, treeBlobsAdded: 1, packsAdded: 2, warnings: 0, durationMs: 9 };
    const snapshot: Snapshot = {
      time: 1_704_164_645_000_000_001n, tree: fixedId(3), paths: ['/p'], hostname: 'h', username: 'u', tags: ['t'],
      description: '', meta: { k: 'v' }, parent: null, program: 'cairn 0.1.0', summary,
    };
    const json = snapshotToJson(snapshot);
    expect(json).toEqual({
      time: '2024-01-02T03:04:05.000000001Z', timeNs: '1704164645000000001', tree: hex(3), paths: ['/p'], hostname: 'h',
      username: 'u', tags: ['t'], description: '', meta: { k: 'v' }, parent: null, program: 'cairn 0.1.0', summary,
    });
    expect(snapshotToJson({ ...snapshot, parent: fixedId(4) }).parent).toBe(hex(4));
    const packs = indexFileToJson([{ id: fixedId(5), blobs: [{ id: fixedId(6), type: 'tree', offset: 1, length: 2, rawLength: 3, codec: 'zstd' }] }]);
    expect(packs).toEqual({ packs: [{ id: hex(5), blobs: [{ id: hex(6), type: 'tree', offset: 1, length: 2, rawLength: 3, codec: 'zstd' }] }] });
  });
});
