import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { createBlobIndex } from '@cairn/index';
import type { TreeNode } from '@cairn/index';
import { backup, initRepository, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { NeededBlobs } from '../src/restore/needed-blobs.js';
import { PlannedFiles } from '../src/restore/planned-files.js';
import { RestoreContext } from '../src/restore/restore-context.js';
import { planRestore } from '../src/restore/restore-plan.js';
import { emptyRestoreResult } from '../src/restore/restore-tree.js';
import { findSnapshot } from '../src/repo/snapshots.js';
import { tempDir } from './helpers.js';
import { backedUpTree, openCounting } from './restore-fixture.js';

const id = (name: string): Id => new Uint8Array(createHash('sha256').update(name).digest());

/** A file node as a tree holds it. */
function fileNode(name: string, content: Id[], size: number, extra: Partial<TreeNode> = {}): TreeNode {
  return { name, type: 'file', mode: 0o640, uid: 1000, gid: 100, mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: 0n, ino: 1n, dev: 1n, nlink: 1, size, content, ...extra };
}

describe('the restore plan', () => {
  it('keeps per file what the writers need, and each distinct blob once, numbered by first use', () => {
    const index = createBlobIndex();
    index.addPack(id('pack 1'), [
      { id: id('a'), type: 'data', offset: 0, length: 10, rawLength: 10, codec: 'none' },
      { id: id('b'), type: 'data', offset: 10, length: 5, rawLength: 20, codec: 'zstd' },
    ]);
    index.addPack(id('pack 2'), [{ id: id('c'), type: 'data', offset: 0, length: 7, rawLength: 7, codec: 'none' }]);
    const files = new PlannedFiles(index);
    const xattrs = [{ name: 'user.x', value: new Uint8Array([1, 2]) }];
    const far = 2n ** 64n; // beyond a signed 64-bit integer: kept aside, still exact
    expect(files.add(fileNode('one', [id('b'), id('a'), id('b')], 50), [], '', true)).toBe(0);
    expect(files.add(fileNode('two', [id('c')], 7, { mtimeNs: far, xattrs, uid: 2 ** 40 }), ['x', 'y'], 'x/y', false)).toBe(1);
    expect(files.add(fileNode('empty', [], 0), ['x', 'y'], 'x/y', true)).toBe(2);
    files.addLink(1, { parts: ['x', 'z'], path: 'x/z' });
    expect(files.count).toBe(3);
    expect(files.bytes).toBe(57);
    expect(files.file(0)).toEqual({
      parts: ['one'], path: 'one', size: 50, metadata: { mode: 0o640, uid: 1000, gid: 100, mtimeNs: 1_700_000_000_123_456_789n }, xattrs: undefined, links: [], fresh: true,
    });
    expect(files.file(1)).toEqual({
      parts: ['x', 'y', 'two'], path: 'x/y/two', size: 7, metadata: { mode: 0o640, uid: 2 ** 40, gid: 100, mtimeNs: far }, xattrs, links: [{ parts: ['x', 'z'], path: 'x/z' }], fresh: false,
    });
    expect(files.path(2)).toBe('x/y/empty');
    // Any name comes back as it went in: lone surrogates (a name that is no valid UTF-8 on disk), and a long one.
    const odd = ['\ud800-lone', 'x\udfff', '\u00e9\u{1f600}', 'n'.repeat(10_000)];
    const oddFiles = new PlannedFiles(index);
    for (const name of odd) oddFiles.add(fileNode(name, [], 0), ['d'], 'd', true);
    expect(odd.map((_, f) => oddFiles.file(f).parts[1])).toEqual(odd);
    expect(oddFiles.path(0)).toBe('d/\ud800-lone');
    expect(files.contentIds(0).map(toHex)).toEqual([id('b'), id('a'), id('b')].map(toHex));
    expect(files.contentIds(2)).toEqual([]);
    const { useStart, useBlob } = files.contents();
    expect([...useStart]).toEqual([0, 3, 4, 4]);
    expect([...useBlob]).toEqual([0, 1, 0, 2]);
    const { blobs } = files;
    expect(blobs.count).toBe(3);
    expect(blobs.storedBytes).toBe(5 + 10 + 7);
    expect([blobs.pack(0), blobs.pack(1), blobs.pack(2)]).toEqual([0, 0, 1]);
    expect(toHex(blobs.packId(1))).toBe(toHex(id('pack 2')));
    expect([blobs.offset(0), blobs.length(0), blobs.rawLength(0), blobs.codec(0)]).toEqual([10, 5, 20, 'zstd']);
    expect(() => files.add(fileNode('lost', [id('a'), id('not indexed')], 10), [], '', true)).toThrow(RangeError);
    expect(files.count).toBe(3);
    expect(files.contents().useBlob.length).toBe(4); // the refused file left no chunk behind
  });

  it('tells apart ids that share the bits it finds them by', () => {
    const first = id('twin');
    const second = new Uint8Array(first);
    second[31] = second[31]! ^ 0xff;
    const third = new Uint8Array(first);
    third[4] = third[4]! ^ 0x01;
    const index = createBlobIndex();
    index.addPack(id('pack'), [first, second, third].map((blob, i) => ({ id: blob, type: 'data' as const, offset: i * 10, length: 10, rawLength: 10, codec: 'none' as const })));
    const blobs = new NeededBlobs(index);
    expect([first, second, third, second, first, third].map((blob) => blobs.add(blob))).toEqual([0, 1, 2, 1, 0, 2]);
    expect([0, 1, 2].map((b) => toHex(blobs.id(b)))).toEqual([first, second, third].map(toHex));
    expect([0, 1, 2].map((b) => blobs.offset(b))).toEqual([0, 10, 20]);
  });

  it('lets the tree packs go once the walk is done: a tree loaded after the restore reads its pack again', async () => {
    const { work, repoDir, snapshotId } = await backedUpTree();
    const { repo, backend } = await openCounting(repoDir);
    const { snapshot } = await findSnapshot(repo, snapshotId);
    const treePack = toHex(repo.index.lookup(snapshot.tree)!.packId);
    const wholeReads = (): number => (backend.packReads.get(treePack) ?? []).filter((range) => range.length === -1).length;
    await repo.loadTree(snapshot.tree, 'root');
    await repo.loadTree(snapshot.tree, 'root');
    expect(wholeReads()).toBe(1); // kept while walks use it
    const result = await restore(repo, snapshotId, { target: createLocalTarget(join(work, 'out')) });
    expect(result.problems).toEqual([]);
    const before = wholeReads();
    await repo.loadTree(snapshot.tree, 'root');
    expect(wholeReads()).toBe(before + 1);
  });

  it('holds a plan of 20,000 files in a few MB of heap: no tree node, path list or object per file is kept', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const work = await tempDir();
    const source = join(work, 'tree');
    const folders = 100;
    const perFolder = 200;
    for (let d = 0; d < folders; d += 1) {
      await mkdir(join(source, `folder-${d}`, 'inner'), { recursive: true });
      await Promise.all(Array.from({ length: perFolder }, (_, i) => writeFile(join(source, `folder-${d}`, 'inner', `file-number-${i}.txt`), `file ${d}/${i}\n`)));
    }
    const backend = createLocalBackend(join(work, 'repo'));
    await backup(await initRepository(backend), { source: createLocalSource(), paths: [source] });
    const repo = await openRepository(createLocalBackend(join(work, 'repo')));
    const { id: snapshotId, snapshot } = await findSnapshot(repo, 'latest');
    const ctx = new RestoreContext(repo, { target: createLocalTarget(join(work, 'out')) }, emptyRestoreResult(snapshotId));
    gc();
    const before = process.memoryUsage().heapUsed;
    const plan = await planRestore(ctx, snapshot.tree);
    gc();
    const held = process.memoryUsage().heapUsed - before;
    expect(plan.files.count).toBe(folders * perFolder);
    expect(plan.files.blobs.count).toBe(folders * perFolder);
    expect(plan.files.path(perFolder + 1)).toBe('tree/folder-1/inner/file-number-1.txt');
    // About 65 bytes of heap a file with its own blob now (the columns, the names and the blob ids are
    // typed arrays, outside it); 270 while each name was kept as the tree decoder's slice of the tree's
    // bytes (which it kept alive); the tree nodes alone took 650.
    expect(held).toBeLessThan(folders * perFolder * 150);
  }, 60_000);
});
