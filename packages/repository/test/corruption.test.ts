import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import { backup, check, initRepository, listSnapshot, listSnapshots, openRepository, restore } from '@cairn/repository';
import { packFileName } from '@cairn/repository/testing';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { flipByte, seededBytes, tempDir } from './helpers.js';

interface Damaged {
  work: string;
  repoDir: string;
  snapshotId: string;
  /** Pack and offset of the first chunk of tree/a.bin. */
  pack: string;
  offset: number;
}

async function setup(): Promise<Damaged> {
  const work = await tempDir();
  const source = join(work, 'tree');
  const files: Record<string, Buffer> = { 'a.bin': seededBytes(3 * 1024 * 1024, 3), 'b.txt': Buffer.from('b is fine\n'.repeat(1000)) };
  await mkdir(source);
  for (const [name, data] of Object.entries(files)) await writeFile(join(source, name), data);
  const repoDir = join(work, 'repo');
  const repo = await initRepository(createLocalBackend(repoDir));
  const { id } = await backup(repo, { source: createLocalSource(), paths: [source] });
  let first: Uint8Array | undefined;
  for await (const entry of listSnapshot(repo, id, 'tree/a.bin')) first = entry.node.content?.[0];
  const location = first === undefined ? undefined : repo.index.lookup(first);
  if (location === undefined) throw new Error('setup: a.bin has no indexed chunk');
  return { work, repoDir, snapshotId: id, pack: toHex(location.packId), offset: location.offset };
}

async function reopen(d: Damaged): Promise<Repository> {
  return openRepository(createLocalBackend(d.repoDir));
}

describe('damaged repositories', () => {
  it('a flipped byte in a pack: check --read-data names the pack and blob; restore skips only the damaged file', async () => {
    const d = await setup();
    await flipByte(join(d.repoDir, packFileName(d.pack)), d.offset + 100);
    const repo = await reopen(d);

    const quick = await check(repo);
    expect(quick.problems).toEqual([]); // headers are intact: only reading the data finds it
    const full = await check(repo, { readData: true });
    expect(full.problems).toHaveLength(1);
    expect(full.problems[0]?.file).toBe(packFileName(d.pack));
    expect(full.problems[0]?.message).toMatch(/data blob [0-9a-f]{64} in data\/[0-9a-f]{2}\/[0-9a-f]{64}/);

    const out = join(d.work, 'out');
    const result = await restore(repo, d.snapshotId, { target: createLocalTarget(out) });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.path).toBe('tree/a.bin');
    expect(result.problems[0]?.message).toContain(packFileName(d.pack));
    expect(existsSync(join(out, 'tree', 'a.bin'))).toBe(false);
    expect((await readdir(join(out, 'tree'))).filter((n) => n.includes('cairn'))).toEqual([]); // no temp file left
    expect(await readFile(join(out, 'tree', 'b.txt'), 'utf8')).toBe('b is fine\n'.repeat(1000));
  });

  it('a flipped byte in a pack header: plain check names the pack', async () => {
    const d = await setup();
    const packPath = join(d.repoDir, packFileName(d.pack));
    const size = (await readFile(packPath)).byteLength;
    await flipByte(packPath, size - 20);
    const result = await check(await reopen(d));
    expect(result.problems.map((p) => p.file)).toContain(packFileName(d.pack));
  });

  it('a truncated index file: check names it; restore reports the files it cannot find', async () => {
    const d = await setup();
    const [indexName] = await readdir(join(d.repoDir, 'index'));
    await truncate(join(d.repoDir, 'index', indexName ?? ''), 10);
    const repo = await reopen(d);
    const result = await check(repo);
    expect(result.problems.map((p) => p.file)).toContain(`index/${indexName}`);
    // Without an index the trees cannot be found either: the restore fails with a clear error.
    await expect(restore(repo, d.snapshotId, { target: createLocalTarget(join(d.work, 'out')) })).resolves.toMatchObject({
      problems: [{ path: '/', message: expect.stringMatching(/not in the index/) }],
    });
  });

  it('a deleted pack: check names it; restore names the pack for each file that needs it', async () => {
    const d = await setup();
    await rm(join(d.repoDir, packFileName(d.pack)));
    const repo = await reopen(d);
    const result = await check(repo);
    expect(result.problems).toContainEqual({ file: packFileName(d.pack), message: expect.stringMatching(/is missing/) });
    const restored = await restore(repo, d.snapshotId, { target: createLocalTarget(join(d.work, 'out')) });
    const paths = restored.problems.map((p) => p.path);
    expect(paths).toContain('tree/a.bin');
    expect(restored.problems.find((p) => p.path === 'tree/a.bin')?.message).toContain(packFileName(d.pack));
  });

  it('a truncated tree pack (read whole, through the tree-pack cache): the restore names the tree and the pack', async () => {
    const d = await setup();
    const repo = await reopen(d);
    const { snapshots } = await listSnapshots(repo);
    const root = snapshots[0]?.snapshot.tree;
    const location = root === undefined ? undefined : repo.index.lookup(root);
    if (root === undefined || location === undefined) throw new Error('setup: the root tree is not indexed');
    const treePack = toHex(location.packId);
    await truncate(join(d.repoDir, packFileName(treePack)), location.offset + 1);
    await expect(reopen(d).then((r) => r.loadTree(root, 'the root tree'))).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
      message: expect.stringMatching(new RegExp(`tree blob ${toHex(root)} in ${packFileName(treePack)}.*places a blob`)),
    });
    const restored = await restore(await reopen(d), d.snapshotId, { target: createLocalTarget(join(d.work, 'out')) });
    expect(restored.problems.map((p) => p.message).join('\n')).toContain(packFileName(treePack));
    expect(restored.files).toBe(0);
  });

  it('a damaged snapshot file: check names it, listing skips it', async () => {
    const d = await setup();
    const snapshotFile = join(d.repoDir, 'snapshots', d.snapshotId);
    await flipByte(snapshotFile, 5);
    const repo = await reopen(d);
    const result = await check(repo);
    expect(result.problems.map((p) => p.file)).toContain(`snapshots/${d.snapshotId}`);
    const listed = await listSnapshots(repo);
    expect(listed.snapshots).toEqual([]);
    expect(listed.problems[0]?.file).toBe(`snapshots/${d.snapshotId}`);
  });
});
