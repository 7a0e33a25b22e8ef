/**
 * Where features meet: the data-loss paths of issue "Nothing lost, ever", one regression test
 * each (prune and the saved VCS data, the size limit with a retention policy, undo snapshots and
 * retention, restore into a user's folders, restore beside a prune, check against what restore
 * refuses).
 */
import { createHash } from 'node:crypto';
import { link, lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Target } from '@cairn/core';
import { encodeSnapshot, encodeTree } from '@cairn/index';
import type { TreeNode } from '@cairn/index';
import { backup, check, listSnapshot, listSnapshots, restore, restoreUndoable, stats } from '@cairn/repository';
import { forget, prune, repositorySize, updateConfig } from '@cairn/repository/maintenance';
import { readLocks } from '@cairn/repository/locks';
import { createBlobWriter } from '@cairn/repository/testing';
import type { Repository } from '@cairn/repository';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { createWorkingCopyRebuilder } from '@cairn/vcs';
import { createProjectSelector } from '@cairn/vcs/selector';
import { gitFacts, makeGitScenario } from '../../vcs/test/git-scenario.js';
import { seededBytes, tempDir } from './helpers.js';
import { backupDir, checkProblems, fileHashes, reopen, restoredHashes, smallRepo, writeFiles } from './lifecycle-helpers.js';

const DAY = 86_400_000;

async function snapshotIds(repo: Repository): Promise<string[]> {
  return (await listSnapshots(repo)).snapshots.map((entry) => entry.id);
}

describe('prune keeps what only the saved VCS data of a --vcs changes snapshot references', () => {
  it('after prune (repacking everything) and prune --grace 0, check is clean and the working copy restores with its unpushed commits and stash', { timeout: 60_000 }, async () => {
    const { wc } = await makeGitScenario();
    const work = await tempDir();
    const repo = await smallRepo(work);
    const result = await backup(repo, { source: createLocalSource(), paths: [wc], selector: createProjectSelector({ roots: [wc], vcs: 'changes', policy: () => ({}) }) });
    expect(result.snapshot.vcs?.[0]?.extras).not.toBeNull();
    await prune(await reopen(work), { maxUnused: 0 });
    await prune(await reopen(work), { graceMs: 0, maxUnused: 0 });
    const fresh = await reopen(work);
    expect((await check(fresh, { readData: true })).problems).toEqual([]);
    // stats counts the saved VCS data as in use, like prune.
    const numbers = await stats(fresh);
    expect(numbers.unusedBytes).toBe(0);
    expect(numbers.usedBytes).toBeGreaterThan(0);
    const out = join(work, 'out');
    const restored = await restore(fresh, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: createWorkingCopyRebuilder({ localTarget: createLocalTarget }) });
    expect(restored.problems).toEqual([]);
    expect(gitFacts(join(out, 'wc'))).toEqual(gitFacts(wc));
  });

  it('check names a snapshot whose saved VCS data is gone', async () => {
    const { wc } = await makeGitScenario();
    const work = await tempDir();
    const repo = await smallRepo(work);
    const result = await backup(repo, { source: createLocalSource(), paths: [wc], selector: createProjectSelector({ roots: [wc], vcs: 'changes', policy: () => ({}) }) });
    // The same snapshot, but its working copy's extras point at a tree that was never written.
    const missing = new Uint8Array(32).fill(7);
    const copy = result.snapshot.vcs![0]!;
    const bytes = encodeSnapshot({ ...result.snapshot, vcs: [{ ...copy, extras: missing }] });
    await repo.backend.write('snapshot', createHash('sha256').update(bytes).digest('hex'), bytes);
    const problems = (await check(await reopen(work))).problems.map((p) => p.message).join('\n');
    expect(problems).toContain('/wc (saved VCS data)');
    expect(problems).toContain(toHex(missing));
  });
});

describe('a size limit with a retention policy', () => {
  it('a backup that cannot fit even after forgetting what the policy allows is removed again, and the older snapshot stays (keep-last 1)', { timeout: 60_000 }, async () => {
    const work = await tempDir();
    await updateConfig(await smallRepo(work), { maxSize: { bytes: 1_000_000 }, retention: { last: 1 } });
    const small = join(work, 'small', 'tree');
    await writeFiles(small, 1, 5, 30_000); // ~150 KB
    const first = await backupDir(await reopen(work), small);
    const expected = await fileHashes(small);
    await writeFile(join(small, 'big.bin'), seededBytes(1_300_000, 42)); // incompressible, over the limit alone
    const error = await backupDir(await reopen(work), small).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_NO_SPACE')).toBe(true);
    expect((error as Error).message).toMatch(/would free only about .*none was forgotten.*was removed again/);
    const fresh = await reopen(work);
    expect(await snapshotIds(fresh)).toEqual([first.id]);
    expect(await restoredHashes(fresh, first.id, 'tree')).toEqual(expected);
    expect(await checkProblems(work)).toEqual([]);
  });

  it('keep-last 2 at the limit: later backups still run, each forgetting the oldest (the policy counts the coming backup)', { timeout: 90_000 }, async () => {
    const work = await tempDir();
    const dir = join(work, 'tree');
    let repo = await smallRepo(work);
    // Each round writes ~200 KB of new, incompressible data.
    const round = async (n: number) => {
      await writeFile(join(dir, 'data.bin'), seededBytes(200_000, 100 + n));
      return backupDir(repo, dir, { time: new Date(DAY * (n + 1)) });
    };
    await mkdir(dir, { recursive: true });
    await round(0);
    await round(1);
    // Room for two snapshots and a bit: the third must make room by forgetting the first.
    await updateConfig(repo, { maxSize: { bytes: (await repositorySize(repo.backend)) + 100_000 }, retention: { last: 2 } });
    for (let n = 2; n < 6; n += 1) {
      repo = await reopen(work);
      const result = await round(n);
      expect(result.quota?.forgotten.length, `round ${n}`).toBe(1);
      const ids = await snapshotIds(await reopen(work));
      expect(ids).toHaveLength(2);
      expect(ids).toContain(result.id);
    }
    expect(await checkProblems(work)).toEqual([]);
  });
});

describe('restore --backup-existing and retention', () => {
  it('the pre-restore snapshot is grouped apart: forget --keep-last 1 keeps the real backup, and it is never a backup\'s parent', { timeout: 60_000 }, async () => {
    const work = await tempDir();
    const dir = join(work, 'proj');
    await writeFiles(dir, 1, 5, 10_000);
    const repo = await smallRepo(work);
    const full = await backupDir(repo, dir, { time: new Date(DAY) });
    const expected = await fileHashes(dir);
    await writeFile(join(dir, 'f0.bin'), 'edited');
    const undo = await restoreUndoable(await reopen(work), full.id, { target: createLocalTarget(work), source: createLocalSource(), targetPath: work, skip: [join(work, 'repo')] });
    expect(undo.backup).not.toBeNull();
    const result = await forget(await reopen(work), { policy: { last: 1 } });
    expect(result.removed).toEqual([]);
    const ids = await snapshotIds(await reopen(work));
    expect(ids).toContain(full.id);
    expect(ids).toContain(undo.backup!.id);
    const next = await backupDir(await reopen(work), dir, { time: new Date(3 * DAY) });
    expect(next.snapshot.parent === null ? null : toHex(next.snapshot.parent)).toBe(full.id);
    expect(await restoredHashes(await reopen(work), full.id, 'proj')).toEqual(expected);
  });
});

describe('restore --backup-existing saves everything the restore replaces', () => {
  it('an entry that a hardlink of the snapshot replaces is in the pre-restore snapshot (found by the model test)', async () => {
    const work = await tempDir();
    const dir = join(work, 'proj');
    await mkdir(join(dir, 'd1'), { recursive: true });
    await writeFile(join(dir, 'b'), 'linked');
    await link(join(dir, 'b'), join(dir, 'd1', 'a'));
    const repo = await smallRepo(work);
    const full = await backupDir(repo, dir);
    await rm(join(dir, 'd1', 'a'));
    await symlink('/etc/hostname', join(dir, 'd1', 'a'));
    const undo = await restoreUndoable(await reopen(work), full.id, { target: createLocalTarget(work), source: createLocalSource(), targetPath: work, skip: [join(work, 'repo')] });
    expect(undo.backup).not.toBeNull();
    const saved: string[] = [];
    for await (const entry of listSnapshot(await reopen(work), undo.backup!.id, '')) if (entry.node.type !== 'dir') saved.push(`${entry.path} ${entry.node.type}`);
    expect(saved).toContain('proj/d1/a symlink');
    expect((await lstat(join(dir, 'd1', 'a'))).nlink).toBe(2); // the restore made the hardlink again
  });
});

describe('restore never deletes what it did not write, and goes on after a refused entry', () => {
  it('a folder that is not empty where the snapshot has a file is kept and named; the rest is restored (partial)', async () => {
    const work = await tempDir();
    const dir = join(work, 'tree');
    await writeFiles(dir, 1, 3, 1000);
    const repo = await smallRepo(work);
    const { id } = await backupDir(repo, dir);
    const out = join(work, 'out');
    await mkdir(join(out, 'tree', 'f1.bin'), { recursive: true });
    await writeFile(join(out, 'tree', 'f1.bin', 'precious'), 'mine');
    const result = await restore(await reopen(work), id, { target: createLocalTarget(out), overwrite: 'always' });
    expect(result.problems.map((p) => p.path)).toEqual(['tree/f1.bin']);
    expect(result.problems[0]?.message).toMatch(/is a folder that is not empty .* not replaced/);
    expect(await readFile(join(out, 'tree', 'f1.bin', 'precious'), 'utf8')).toBe('mine');
    expect(result.files).toBe(2);
  });

  it('a file the target refuses is named and the others are written (partial, not an error)', async () => {
    const work = await tempDir();
    const dir = join(work, 'tree');
    await writeFiles(dir, 1, 6, 1000);
    const repo = await smallRepo(work);
    const { id } = await backupDir(repo, dir);
    const out = join(work, 'out');
    const local = createLocalTarget(out);
    const target: Target = {
      ...local,
      async createFile(path, size) {
        if (path.at(-1) === 'f2.bin') throw new CairnError('ERR_PERMISSION', `${join(out, ...path)}: permission denied`);
        return local.createFile!(path, size);
      },
    };
    const result = await restore(await reopen(work), id, { target });
    expect(result.problems.map((p) => p.path)).toEqual(['tree/f2.bin']);
    expect(result.files).toBe(5);
  });
});

describe('restore holds a lease', () => {
  it('a prune during a restore deletes nothing the restore reads; the restore completes byte for byte', { timeout: 60_000 }, async () => {
    const work = await tempDir();
    const dir = join(work, 'tree');
    await writeFiles(dir, 1, 8, 20_000);
    const repo = await smallRepo(work);
    const { id } = await backupDir(repo, dir);
    const expected = await fileHashes(dir);
    const out = join(work, 'out');
    const local = createLocalTarget(out);
    let release!: () => void;
    const paused = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached!: () => void;
    const atPause = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const target: Target = {
      ...local,
      async createFile(path, size) {
        reached();
        await paused;
        return local.createFile!(path, size);
      },
    };
    const restoring = restore(await reopen(work), id, { target });
    await atPause;
    expect((await readLocks(repo.backend)).locks.some((lock) => lock.kind === 'lease' && lock.purpose === 'restore')).toBe(true);
    await forget(await reopen(work), { snapshots: [id] });
    const pruned = await prune(await reopen(work), { graceMs: 0 });
    expect(pruned.deleted.packs).toBe(0);
    expect(pruned.pending.waitingFor.join(' ')).toMatch(/restore/);
    release();
    const result = await restoring;
    expect(result.problems).toEqual([]);
    expect(await fileHashes(join(out, 'tree'))).toEqual(expected);
  });

  it('ls holds a lease while it lists', async () => {
    const work = await tempDir();
    const dir = join(work, 'tree');
    await writeFiles(dir, 1, 2, 1000);
    const repo = await smallRepo(work);
    const { id } = await backupDir(repo, dir);
    for await (const entry of listSnapshot(repo, id, '')) {
      void entry;
      expect((await readLocks(repo.backend)).locks.some((lock) => lock.kind === 'lease' && lock.purpose === 'ls')).toBe(true);
      break;
    }
    expect((await readLocks(repo.backend)).locks).toEqual([]);
  });
});

describe('check finds what restore would refuse or get wrong', () => {
  it('an empty symlink target, a size that is not the content\'s, a content id that is a tree: check names each, restore refuses each by name and restores the rest', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const writer = createBlobWriter(repo, { threads: 0 });
    const data = new TextEncoder().encode('hello world\n');
    const dataId = await writer.saveData(data);
    const emptyTree = await writer.save('tree', encodeTree([]));
    const base = { mode: 0o644, uid: 0, gid: 0, mtimeNs: 0n, ctimeNs: 0n, ino: 1n, dev: 1n, nlink: 1 };
    const nodes: TreeNode[] = [
      { ...base, name: 'good.txt', type: 'file', size: data.length, content: [dataId] },
      { ...base, name: 'link', type: 'symlink', size: 0, linkTarget: '' },
      { ...base, name: 'short.txt', type: 'file', size: 99, content: [dataId] },
      { ...base, name: 'tree-as-file', type: 'file', size: 8, content: [emptyTree] },
    ];
    const root = await writer.save('tree', encodeTree(nodes));
    await writer.finish();
    const snapshot = encodeSnapshot({
      time: 0n, tree: root, paths: ['/x'], hostname: 'h', username: 'u', tags: [], description: '', meta: {}, parent: null, program: 'test',
      summary: { filesNew: 0, filesChanged: 0, filesUnchanged: 0, filesReferenced: 0, dirs: 0, symlinks: 0, others: 0, bytesRead: 0, bytesAdded: 0, dataBlobsAdded: 0, treeBlobsAdded: 0, packsAdded: 0, warnings: 0, durationMs: 0 },
    });
    const id = createHash('sha256').update(snapshot).digest('hex');
    await repo.backend.write('snapshot', id, snapshot);
    const fresh = await reopen(work);
    const problems = (await check(fresh, { readData: true })).problems.map((p) => p.message);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/\/link is a symlink without a target/);
    expect(problems.join('\n')).toMatch(/\/short.txt records a size of 99 bytes but its content is 12 bytes/);
    expect(problems.join('\n')).toMatch(/\/tree-as-file its content [0-9a-f]{64} is a tree blob, not file data/);
    const out = join(work, 'out');
    const result = await restore(fresh, id, { target: createLocalTarget(out) });
    expect(result.problems.map((p) => p.path).sort()).toEqual(['link', 'short.txt', 'tree-as-file']);
    expect(await readFile(join(out, 'good.txt'), 'utf8')).toBe('hello world\n');
  });
});
