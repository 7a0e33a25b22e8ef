import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import { check, listSnapshots, repairIndex, repairSnapshots, restore } from '@cairn/repository';
import { forget } from '@cairn/repository/maintenance';
import type { Repository } from '@cairn/repository';
import { createLocalTarget } from '@cairn/transport';
import { tempDir } from './helpers.js';
import { backupDir, checkProblems, fileHashes, packFiles, reopen, repoFiles, restoredHashes, smallRepo, writeFiles } from './lifecycle-helpers.js';

function packPath(work: string, hex: string): string {
  return join(work, 'repo', 'data', hex.slice(0, 2), hex);
}

/** The pack holding the first data blob of `file` in the snapshot's root folder `dir`. */
async function packOfFile(repo: Repository, tree: Uint8Array, dir: string, file: string): Promise<string> {
  const root = await repo.loadTree(tree, 'root');
  const sub = root.find((n) => n.name === dir)?.subtree;
  const node = sub === undefined ? undefined : (await repo.loadTree(sub, dir)).find((n) => n.name === file);
  const first = node?.content?.[0];
  if (first === undefined) throw new Error(`no ${dir}/${file}`);
  return toHex(repo.index.lookup(first)!.packId);
}

describe('repair snapshots', () => {
  it('after a pack is deleted, writes snapshots whose remaining files restore; damaged files keep what is left and are listed', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'proj');
    const files = await writeFiles(dir, 5, 10);
    const original = await backupDir(repo, dir, { tags: ['nightly'] });
    const lost = await packOfFile(repo, original.snapshot.tree, 'proj', 'f4.bin');
    await rm(packPath(work, lost));
    expect((await checkProblems(work)).length).toBeGreaterThan(0);

    const dry = await repairSnapshots(await reopen(work), { dryRun: true });
    expect(dry.repaired).toEqual([expect.objectContaining({ original: original.id, repaired: null })]);
    expect(await repoFiles(work, 'snapshots')).toHaveLength(1);

    const result = await repairSnapshots(await reopen(work));
    expect(result.checked).toBe(1);
    expect(result.unrepairable).toEqual([]);
    const [fixed] = result.repaired;
    expect(fixed?.original).toBe(original.id);
    expect(fixed?.damagedFiles).toContain('proj/f4.bin');
    expect(fixed?.forgotten).toBe(false);
    const snapshots = (await listSnapshots(repo)).snapshots;
    expect(snapshots.map((s) => s.id).sort()).toEqual([original.id, fixed!.repaired!].sort()); // the original is kept
    const repaired = snapshots.find((s) => s.id === fixed?.repaired)?.snapshot;
    expect(repaired?.tags).toEqual(['nightly', 'repaired']);
    expect(repaired?.time).toBe(original.snapshot.time);
    expect(repaired?.meta['repaired-from']).toBe(original.id);
    expect(repaired?.meta['repaired-damaged']?.split('\n')).toEqual(fixed?.damagedFiles);
    expect(repaired?.description).toMatch(/^repaired by cairn: \d+ file\(s\) lost data, 0 folder\(s\) could not be read$/);

    // The repaired snapshot restores without problems: intact files exactly, damaged ones shortened.
    const out = await tempDir();
    const restored = await restore(await reopen(work), fixed!.repaired!, { target: createLocalTarget(out) });
    expect(restored.problems).toEqual([]);
    for (const [name, bytes] of files) {
      const got = await readFile(join(out, 'proj', name));
      if (fixed!.damagedFiles.includes(`proj/${name}`)) expect(got.length).toBeLessThan(bytes.length);
      else expect(got.equals(bytes)).toBe(true);
    }

    // repair index drops the missing pack; forgetting the original leaves a clean repository.
    await repairIndex(await reopen(work));
    await forget(repo, { snapshots: [original.id] });
    expect(await checkProblems(work)).toEqual([]);
  });

  it('a folder whose tree is gone becomes an empty folder; a snapshot whose root is gone is unrepairable; --forget removes originals', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'proj');
    await writeFiles(join(dir, 'sub'), 6, 2, 3000);
    await writeFiles(dir, 7, 2, 3000);
    const first = await backupDir(repo, dir);
    await writeFile(join(dir, 'new.txt'), 'changed\n'); // a new root tree; sub's tree is reused from the first backup
    const second = await backupDir(repo, dir);
    const subTreePack = toHex(repo.index.lookup(first.snapshot.tree)!.packId);
    const secondRootPack = toHex(repo.index.lookup(second.snapshot.tree)!.packId);
    expect(secondRootPack).not.toBe(subTreePack);
    await rm(packPath(work, subTreePack));

    const result = await repairSnapshots(await reopen(work), { forget: true });
    expect(result.unrepairable).toEqual([{ id: first.id, message: expect.stringContaining(`snapshot ${first.id.slice(0, 8)}: its root folder cannot be read`) }]);
    expect(result.repaired).toEqual([expect.objectContaining({ original: second.id, damagedFiles: [], emptiedFolders: ['proj/sub'], forgotten: true })]);
    const ids = (await listSnapshots(repo)).snapshots.map((s) => s.id);
    expect(ids).not.toContain(second.id);
    expect(ids).toContain(first.id); // unrepairable: left for the user to forget
    const hashes = await restoredHashes(await reopen(work), result.repaired[0]!.repaired!, 'proj');
    expect([...hashes.keys()].sort()).toEqual(['f0.bin', 'f1.bin', 'new.txt']);
  });
});

describe('repair index', () => {
  it('rebuilds a deleted index from the pack headers: check passes, restores match, backups deduplicate again', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'proj');
    await writeFiles(dir, 8, 8);
    const first = await backupDir(repo, dir);
    for (const name of await repoFiles(work, 'index')) await rm(join(work, 'repo', 'index', name));
    const broken = await reopen(work);
    expect(broken.index.size).toBe(0);
    expect((await check(broken)).problems.length).toBeGreaterThan(0);

    const garbage = 'ab'.padEnd(64, '0');
    // A prefix folder is made by the first pack written in it: this one may not exist yet.
    await mkdir(dirname(packPath(work, garbage)), { recursive: true });
    await writeFile(packPath(work, garbage), 'not a pack at all');
    const result = await repairIndex(broken);
    const packs = await packFiles(work);
    expect(result.packs).toBe(packs.length - 1);
    expect(result.damaged).toEqual([{ file: `data/ab/${garbage}`, message: `data/ab/${garbage}: not a cairn pack (magic "k at all", expected "CAIRNPK1")` }]);
    expect(result.indexFilesWritten).toBe(1);
    expect(broken.index.size).toBe(result.blobs); // the caller's view is reloaded
    await rm(packPath(work, garbage));

    expect(await checkProblems(work)).toEqual([]);
    expect(await restoredHashes(await reopen(work), first.id, 'proj')).toEqual(await fileHashes(dir));
    await cp(dir, join(work, 'copy', 'proj'), { recursive: true });
    const again = await backupDir(await reopen(work), join(work, 'copy', 'proj'));
    expect(again.snapshot.summary.dataBlobsAdded).toBe(0);
  });

  it('replaces every old index file (new one first) and keeps working when the index was fine', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await writeFiles(join(work, 'a'), 9, 3);
    await backupDir(repo, join(work, 'a'));
    await writeFiles(join(work, 'b'), 10, 3);
    await backupDir(repo, join(work, 'b'));
    const before = await repoFiles(work, 'index');
    expect(before).toHaveLength(2);
    const result = await repairIndex(repo);
    const after = await repoFiles(work, 'index');
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0]);
    expect(result.indexFilesRemoved).toBe(2);
    expect((await stat(join(work, 'repo', 'index', after[0]!))).size).toBeGreaterThan(0);
    expect(await checkProblems(work)).toEqual([]);
  });
});
