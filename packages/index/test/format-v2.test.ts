import { describe, expect, it } from 'vitest';
import { decodeSnapshot, decodeTree, encodeSnapshot, encodeTree, snapshotToJson, treeToJson } from '@cairn/index';
import type { Snapshot, TreeNode } from '@cairn/index';
import { expectCairnError, fixedId, packr, thrown } from './helpers.js';

const WHERE = 'tree 3f2a…';
const base = { mode: 0o644, uid: 1, gid: 1, mtimeNs: 5n, ctimeNs: 6n, ino: 7n, dev: 8n, nlink: 1, size: 12 } as const;
const stored: TreeNode = { ...base, name: 'edited.ts', type: 'file', content: [fixedId(1)] };
const referenced: TreeNode = { ...base, name: 'pushed.ts', type: 'file', ref: { id: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391', commit: 'a'.repeat(40) } };

const snapshot: Snapshot = {
  time: 1_000n, tree: fixedId(2), paths: ['/home/ana/app'], hostname: 'laptop', username: 'ana', tags: [], description: '',
  meta: { project: 'app' }, parent: null, program: 'cairn', summary: {
    filesNew: 1, filesChanged: 0, filesUnchanged: 0, filesReferenced: 4, dirs: 1, symlinks: 0, others: 0, bytesRead: 12, bytesAdded: 12,
    dataBlobsAdded: 1, treeBlobsAdded: 1, packsAdded: 1, warnings: 0, durationMs: 3,
  },
};
const withVcs: Snapshot = {
  ...snapshot,
  vcs: [{ path: '/app', mode: 'changes', state: JSON.stringify({ vcs: 'git', head: 'a'.repeat(40) }), extras: fixedId(3), extrasKey: 'f'.repeat(64) }, { path: '/app/vendor/lib', mode: 'full', state: '{}', extras: null }],
  skipped: [{ path: '/app/node_modules/', class: 'dependency', reason: 'node preset (package.json in /app): node_modules is dependency' }],
  classes: { source: { files: 10, bytes: 2_000 }, config: { files: 2, bytes: 90 } },
};

describe('format version 2 of trees and snapshots', () => {
  it('writes a tree with a file recorded by reference as version 2, and one without as version 1', () => {
    const v2 = encodeTree([stored, referenced]);
    expect((packr.unpack(v2) as { v: number }).v).toBe(2);
    expect(decodeTree(v2, WHERE)).toEqual([stored, referenced]);
    expect((packr.unpack(encodeTree([stored])) as { v: number }).v).toBe(1);
    expect(treeToJson(decodeTree(v2, WHERE))[1]?.ref).toEqual(referenced.ref);
  });

  it('refuses a ref beside content, on a folder, empty, or in a version-1 tree', () => {
    expect(String(thrown(() => encodeTree([{ ...referenced, content: [fixedId(1)] }])))).toContain('both content and ref');
    expect(String(thrown(() => encodeTree([{ ...base, name: 'd', type: 'dir', subtree: fixedId(1), ref: { id: 'x', commit: 'y' } }])))).toContain('ref is only for files');
    expect(String(thrown(() => encodeTree([{ ...referenced, ref: { id: '', commit: 'y' } }])))).toContain('ref.id is empty');
    const node = { name: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, ctime: 0, ino: 1, dev: 1, nlink: 1, size: 0 };
    const ref = { id: 'abc', commit: 'def' };
    expectCairnError(() => decodeTree(packr.pack({ v: 1, nodes: [{ ...node, ref }] }), WHERE), 'ERR_FORMAT', WHERE, 'ref is not a known key');
    expectCairnError(() => decodeTree(packr.pack({ v: 2, nodes: [{ ...node, ref, content: [] }] }), WHERE), 'ERR_FORMAT', 'content is beside ref');
    expectCairnError(() => decodeTree(packr.pack({ v: 2, nodes: [{ ...node, type: 'symlink', target: 'x', ref }] }), WHERE), 'ERR_FORMAT', 'ref is only for files');
    expectCairnError(() => decodeTree(packr.pack({ v: 2, nodes: [{ ...node, ref: { id: 'abc' } }] }), WHERE), 'ERR_FORMAT', 'ref.commit is missing');
    // A version-2 file without ref still needs content.
    expectCairnError(() => decodeTree(packr.pack({ v: 2, nodes: [node] }), WHERE), 'ERR_FORMAT', 'is a file without content');
  });

  it('round-trips a snapshot with working copies, skipped entries and classes as version 2; without them it stays version 1', () => {
    const bytes = encodeSnapshot(withVcs);
    expect((packr.unpack(bytes) as { v: number }).v).toBe(2);
    expect(decodeSnapshot(bytes, 'snapshots/x')).toEqual(withVcs);
    expect((packr.unpack(encodeSnapshot(snapshot)) as { v: number }).v).toBe(1);
    const json = snapshotToJson(decodeSnapshot(bytes, 'snapshots/x'));
    expect(json.vcs?.[0]).toEqual({ path: '/app', mode: 'changes', state: { vcs: 'git', head: 'a'.repeat(40) }, extras: '03'.repeat(32), extrasKey: 'f'.repeat(64) });
    expect(json.classes).toEqual(withVcs.classes);
  });

  it('refuses version-2 keys in a version-1 snapshot, and bad working-copy records', () => {
    const wire = packr.unpack(encodeSnapshot(withVcs)) as Record<string, unknown>;
    expectCairnError(() => decodeSnapshot(packr.pack({ ...wire, v: 1 }), 'snapshots/x'), 'ERR_FORMAT', 'snapshots/x', 'vcs is not a key of format version 1');
    const badMode = { ...wire, vcs: [{ path: '/a', mode: 'partial', state: '{}', extras: null }] };
    expectCairnError(() => decodeSnapshot(packr.pack(badMode), 'snapshots/x'), 'ERR_FORMAT', 'vcs[0].mode', '"partial"');
    expectCairnError(() => decodeSnapshot(packr.pack({ ...wire, skipped: [['/a/']] }), 'snapshots/x'), 'ERR_FORMAT', 'skipped[0] is not [path, class, reason]');
    expect(String(thrown(() => encodeSnapshot({ ...withVcs, vcs: [{ path: '/a', mode: 'some' as 'full', state: '{}', extras: null }] })))).toContain('mode must be "full" or "changes"');
  });
});
