import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { backup, check, copySnapshots, dumpFile, initRepository, openRepository, restore, stats } from '@cairn/repository';
import { forget, prune } from '@cairn/repository/maintenance';
import type { Repository } from '@cairn/repository';
import { packFileName } from '@cairn/repository/testing';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { flipByte, seededBytes, tempDir } from './helpers.js';
import { groupKey } from '../src/repo/blob-group.js';
import { GROUP_LIMITS } from '../src/write/compress-task.js';
import { RESTORE_LIMITS, writeByPosition } from '../src/restore/file-writer.js';
import type { WriterLimits } from '../src/restore/file-writer.js';
import { RestoreContext } from '../src/restore/restore-context.js';
import { planRestore } from '../src/restore/restore-plan.js';
import { findSnapshot } from '../src/repo/snapshots.js';

const FAST_KDF = { N: 1024, r: 8, p: 1 };

/** A small source-like text file drawn from `seed`, between about 100 bytes and 12 KB. */
function smallText(seed: number): string {
  const bytes = seededBytes(8 + (seed % 300) * 5, seed);
  const lines: string[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) lines.push(`#define NAME_${seed}_${i} 0x${bytes.readUInt32LE(i).toString(16)} /* field ${i % 7} */`);
  return `${lines.join('\n')}\n`;
}

/** Writes `count` small files (seeds from `first`) into `folder`, in subfolders of 40. */
async function writeSmallFiles(folder: string, first: number, count: number): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (let i = first; i < first + count; i += 1) {
    const dir = join(folder, `d${Math.floor(i / 40)}`);
    await mkdir(dir, { recursive: true });
    const name = join(`d${Math.floor(i / 40)}`, `f${i}.h`);
    files.set(name, smallText(i));
    await writeFile(join(folder, name), smallText(i));
  }
  return files;
}

async function expectRestored(out: string, files: ReadonlyMap<string, string>): Promise<void> {
  for (const [name, text] of files) expect(await readFile(join(out, 'src', name), 'utf8'), name).toBe(text);
}

/** The group members of the index, by group (pack and frame offset). */
function groupsOf(repo: Repository): Map<string, Id[]> {
  const groups = new Map<string, Id[]>();
  for (const [id, location] of repo.index.entries()) {
    if (location.codec !== 'group') continue;
    const key = groupKey(location.packId, location.offset);
    groups.set(key, [...(groups.get(key) ?? []), id]);
  }
  return groups;
}

/** Restores `snapshotId` into `out` with `limits`; the context and how many group frames were decompressed. */
async function restoreCounting(repo: Repository, snapshotId: string, out: string, limits: WriterLimits): Promise<{ ctx: RestoreContext; groupsDecoded: number }> {
  const ctx = new RestoreContext(repo, { target: createLocalTarget(out) }, {
    snapshotId, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, checkedOut: 0, bytesWritten: 0, problems: [], notRestored: [],
  });
  const plan = await planRestore(ctx, (await findSnapshot(repo, snapshotId)).snapshot.tree);
  await writeByPosition(ctx, plan.files, limits);
  return { ctx, groupsDecoded: plan.files.blobs.groupsDecoded };
}

async function sourceFolder(work: string): Promise<string> {
  const source = join(work, 'src');
  await mkdir(source, { recursive: true });
  return source;
}

const LIMITS: WriterLimits[] = [
  { ...RESTORE_LIMITS, decodeThreads: 0 },
  { ...RESTORE_LIMITS, decodeThreads: 1, decodeThreadsFrom: 0 },
  // Small reads: a group's members still share one read.
  { ...RESTORE_LIMITS, maxStepBytes: 16_384, maxReadBytes: 8192, decodeThreads: 0 },
];

describe('grouped small blobs', () => {
  it('round trip of many small files: they share group frames, restore is byte-exact (every group decompressed once), check --read-data is clean; with and without compression threads', async () => {
    for (const threads of [0, 2]) {
      const work = await tempDir();
      const source = await sourceFolder(work);
      const repo = await initRepository(createLocalBackend(join(work, 'repo')));
      expect(repo.config).toMatchObject({ version: 3, groups: true });
      const files = await writeSmallFiles(source, 0, 400);
      const result = await backup(repo, { source: createLocalSource(), paths: [source], threads });
      const groups = groupsOf(repo);
      expect(groups.size).toBeGreaterThan(1);
      const members = [...groups.values()].reduce((sum, ids) => sum + ids.length, 0);
      expect(members).toBeGreaterThan(350); // a run may end with one blob, stored alone
      for (const ids of groups.values()) {
        const location = repo.index.lookup(ids[0]!)!;
        expect(location.groupRaw!).toBeLessThanOrEqual(GROUP_LIMITS.bytes);
        expect(location.length).toBeLessThan(location.groupRaw!);
      }
      const reopened = await openRepository(createLocalBackend(join(work, 'repo')));
      for (const [i, limits] of LIMITS.entries()) {
        const out = join(work, `out-${threads}-${i}`);
        const { ctx, groupsDecoded } = await restoreCounting(reopened, result.id, out, limits);
        expect(ctx.result.problems).toEqual([]);
        await expectRestored(out, files);
        expect(groupsDecoded).toBe(groups.size); // each group read and decompressed once for all its members
      }
      const out = join(work, `out-${threads}`);
      expect((await restore(reopened, result.id, { target: createLocalTarget(out) })).problems).toEqual([]);
      await expectRestored(out, files);
      // One file read alone (loadBlob through the group cache).
      const chunks: Uint8Array[] = [];
      for await (const part of dumpFile(reopened, result.id, 'src/d3/f130.h')) chunks.push(part);
      expect(Buffer.concat(chunks).toString('utf8')).toBe(smallText(130));
      const checked = await check(reopened, { readData: true });
      expect(checked.problems).toEqual([]);
      expect(checked.verified.blobs).toBeGreaterThanOrEqual(400);
      const s = await stats(reopened);
      expect(s).toMatchObject({ groupedBlobs: members, groups: groups.size });
    }
  });

  it('a corrupted group makes every member file fail by name, in check --read-data and in restore; the other files restore', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir));
    const files = await writeSmallFiles(source, 0, 120);
    const result = await backup(repo, { source: createLocalSource(), paths: [source] });
    const [key, ids] = [...groupsOf(repo)][0]!;
    expect(ids.length).toBeGreaterThan(1);
    const location = repo.index.lookup(ids[0]!)!;
    await flipByte(join(repoDir, packFileName(location.packId)), location.offset + Math.floor(location.length / 2));
    // The files whose content is in the damaged group.
    const hit = new Set(ids.map(toHex));
    const { snapshot } = await findSnapshot(repo, result.id);
    const damagedFiles: string[] = [];
    const walk = async (tree: Id, prefix: string): Promise<void> => {
      for (const node of await repo.loadTree(tree, prefix)) {
        if (node.subtree !== undefined) await walk(node.subtree, `${prefix}/${node.name}`);
        else if (node.content?.some((id) => hit.has(toHex(id)))) damagedFiles.push(`${prefix}/${node.name}`.replace(/^\/+/, ''));
      }
    };
    await walk(snapshot.tree, '');
    expect(damagedFiles.length).toBe(ids.length);

    const reopened = await openRepository(createLocalBackend(repoDir));
    const checked = await check(reopened, { readData: true });
    const text = checked.problems.map((p) => p.message).join('\n');
    for (const id of ids) expect(text).toContain(toHex(id));
    for (const file of damagedFiles) expect(text).toContain(file);
    expect(key).toContain(toHex(location.packId));

    for (const limits of LIMITS.slice(0, 2)) {
      const out = join(work, `out-${limits.decodeThreads}`);
      const { ctx } = await restoreCounting(reopened, result.id, out, limits);
      const failed = ctx.result.problems.map((p) => p.path).sort();
      expect(failed).toEqual(damagedFiles.map((file) => file.slice(file.indexOf('src/'))).sort());
      const rest = new Map([...files].filter(([name]) => !failed.includes(`src/${name}`)));
      expect(rest.size).toBe(files.size - ids.length);
      await expectRestored(out, rest);
    }
  });

  it('prune after forgetting half: groups with a live member are kept or their live members regrouped; every remaining file restores, check --read-data clean', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir));
    const first = await writeSmallFiles(source, 0, 200);
    const one = await backup(repo, { source: createLocalSource(), paths: [source] });
    // Half of the files go, others come: the first backup's groups hold live and dead members.
    for (const [name] of [...first].filter((_, i) => i % 2 === 0)) await rm(join(source, name));
    const second = await writeSmallFiles(source, 1000, 100);
    const kept = new Map([...[...first].filter((_, i) => i % 2 === 1), ...second]);
    const two = await backup(repo, { source: createLocalSource(), paths: [source] });
    const groupsBefore = groupsOf(repo).size;
    const packsBefore = new Set(repo.index.packIds().map(toHex));
    const blobsBefore = repo.index.size;
    await forget(repo, { snapshots: [one.id] });
    const pruned = await prune(repo, { maxUnused: 0, graceMs: 0 });
    expect(pruned.marked.repacked.packs).toBeGreaterThan(0);
    const reopened = await openRepository(createLocalBackend(repoDir));
    const after = groupsOf(reopened);
    // The live members of the first backup's groups were written as new groups, in new packs.
    const regrouped = [...after.keys()].filter((key) => !packsBefore.has(key.slice(0, 64)));
    expect(regrouped.length).toBeGreaterThan(0);
    // The first backup's live half (100 files) was regrouped; its dead half is gone.
    expect(regrouped.reduce((sum, key) => sum + after.get(key)!.length, 0)).toBeGreaterThan(80);
    expect(reopened.index.size).toBeLessThan(blobsBefore);
    expect(after.size).toBeLessThanOrEqual(groupsBefore);
    // No group holds a member no snapshot uses any more.
    for (const ids of after.values()) for (const id of ids) expect(reopened.index.lookup(id)).toBeDefined();
    const out = join(work, 'out');
    expect((await restore(reopened, two.id, { target: createLocalTarget(out) })).problems).toEqual([]);
    await expectRestored(out, kept);
    expect((await check(reopened, { readData: true })).problems).toEqual([]);
  });

  it('an encrypted repository stores and reads groups', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir), { encryption: 'aes-256-gcm', password: 'pw', kdf: FAST_KDF });
    const files = await writeSmallFiles(source, 0, 150);
    const result = await backup(repo, { source: createLocalSource(), paths: [source] });
    expect(groupsOf(repo).size).toBeGreaterThan(0);
    const reopened = await openRepository(createLocalBackend(repoDir), { password: async () => 'pw' });
    expect(reopened.config).toMatchObject({ version: 3, groups: true, encryption: 'aes-256-gcm' });
    const out = join(work, 'out');
    expect((await restore(reopened, result.id, { target: createLocalTarget(out) })).problems).toEqual([]);
    await expectRestored(out, files);
    expect((await check(reopened, { readData: true })).problems).toEqual([]);
  });

  it('--no-group and a repository without groups store none; copy into one decodes the members; a reader of version 2 refuses a repository with groups naming the version', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const files = await writeSmallFiles(source, 0, 100);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    await backup(repo, { source: createLocalSource(), paths: [source], groups: false });
    expect(groupsOf(repo).size).toBe(0);
    await writeFile(join(source, 'more.txt'), 'one more small file\n');
    const grouped = await backup(repo, { source: createLocalSource(), paths: [source], force: true });
    await rm(join(source, 'more.txt'));

    const old = await initRepository(createLocalBackend(join(work, 'old')), { groups: false });
    expect(old.config).toMatchObject({ version: 2, deltas: true });
    expect(old.config.groups).toBeUndefined();
    await backup(old, { source: createLocalSource(), paths: [source] });
    expect(groupsOf(old).size).toBe(0);

    // Copy the source's snapshots (their blobs in groups or not) into a repository without groups.
    const fresh = join(work, 'fresh');
    const withGroups = await initRepository(createLocalBackend(join(work, 'g')));
    const g = await backup(withGroups, { source: createLocalSource(), paths: [source] });
    expect(groupsOf(withGroups).size).toBeGreaterThan(0);
    const target = await initRepository(createLocalBackend(fresh), { groups: false });
    await copySnapshots(withGroups, target);
    const copied = await openRepository(createLocalBackend(fresh));
    expect(groupsOf(copied).size).toBe(0);
    const out = join(work, 'out');
    expect((await restore(copied, g.id, { target: createLocalTarget(out) })).problems).toEqual([]);
    await expectRestored(out, files);
    expect((await check(copied, { readData: true })).problems).toEqual([]);
    expect(grouped.id).toBeDefined();

    const { checkFormatVersion } = await import('../../index/src/format-version.js');
    const config = JSON.parse(await readFile(join(work, 'repo', 'config'), 'utf8')) as { version: number };
    expect(config.version).toBe(3);
    let refused: unknown;
    try {
      checkFormatVersion(config.version, 'repo/config', 2);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CairnError);
    expect((refused as CairnError).message).toBe('repo/config has format version 3; this cairn reads versions 1 to 2');
  });
});
