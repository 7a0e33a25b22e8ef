import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backup, check, createProtector, listSnapshots, protect, PROTECT_TAG, snapshotKind, withProtection } from '@cairn/repository';
import type { Protector, Repository } from '@cairn/repository';
import { forget } from '@cairn/repository/maintenance';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { describeTree, seededBytes, tempDir } from './helpers.js';
import { reopen, smallRepo, watchChild } from './lifecycle-helpers.js';
import type { ChildRun } from './lifecycle-helpers.js';

async function setup(keep?: number): Promise<{ work: string; dir: string; repo: Repository; protector: Protector }> {
  const work = await tempDir('cairn-protect-');
  const repo = await smallRepo(work);
  const dir = join(work, 'files');
  await mkdir(join(dir, 'proj', 'sub'), { recursive: true });
  await writeFile(join(dir, 'proj', 'a.txt'), 'alpha\n');
  await writeFile(join(dir, 'proj', 'b.bin'), seededBytes(30_000, 3));
  await writeFile(join(dir, 'proj', 'sub', 'c.txt'), 'gamma\n');
  await writeFile(join(dir, 'data.db'), seededBytes(50_000, 4));
  await writeFile(join(dir, 'glob [1] *?.txt'), 'a name restore would read as a glob\n');
  const protector = createProtector(repo, { source: createLocalSource(), target: createLocalTarget, tool: 'protect-test', ...(keep === undefined ? {} : { keep }) });
  return { work, dir, repo, protector };
}

describe('protect: files kept before a tool changes them', () => {
  it('a round trip puts back exactly what was protected: a deleted file comes back, files the change created go, changed ones revert', async () => {
    const { work, dir, protector } = await setup();
    const before = await describeTree(dir);
    const handle = await protect([join(dir, 'proj'), join(dir, 'data.db'), join(dir, 'new.txt'), join(dir, 'glob [1] *?.txt')], { reason: 'rename foo to bar', repo: protector });
    expect(handle.state).toBe('open');
    expect(handle.absent).toEqual([join(dir, 'new.txt')]);

    // The change: deletes a file, creates files (one in a new folder, one where nothing was protected yet), rewrites two.
    await rm(join(dir, 'proj', 'a.txt'));
    await writeFile(join(dir, 'proj', 'created.txt'), 'new\n');
    await mkdir(join(dir, 'proj', 'sub', 'made'));
    await writeFile(join(dir, 'proj', 'sub', 'made', 'x.txt'), 'x');
    await writeFile(join(dir, 'proj', 'b.bin'), seededBytes(30_000, 9));
    await writeFile(join(dir, 'data.db'), 'truncated');
    await writeFile(join(dir, 'new.txt'), 'created by the change');
    await writeFile(join(dir, 'glob [1] *?.txt'), 'changed');
    expect(await describeTree(dir)).not.toEqual(before);

    const result = await handle.rollback();
    expect(await describeTree(dir)).toEqual(before);
    expect([...result.removed].sort()).toEqual([join(dir, 'new.txt'), join(dir, 'proj', 'created.txt'), join(dir, 'proj', 'sub', 'made'), join(dir, 'proj', 'sub', 'made', 'x.txt')].sort());
    expect(handle.state).toBe('rolled-back');
    await expect(handle.commit()).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(handle.rollback()).rejects.toMatchObject({ code: 'ERR_USAGE' });
    expect(await check(await reopen(work), { readData: true })).toMatchObject({ problems: [] });
  });

  it('refuses to roll back through a symlink the change put where a protected file\'s folder was: nothing is written where it leads, nothing changes', async () => {
    const { work, dir, protector } = await setup();
    const outside = join(work, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'c.txt'), 'not the protected file\n');
    const handle = await protect([join(dir, 'proj', 'sub', 'c.txt'), join(dir, 'proj', 'sub', 'new.txt')], { reason: 'edit c', repo: protector });
    // The change swaps the folder for a symlink to another folder that has a c.txt of its own.
    await rm(join(dir, 'proj', 'sub'), { recursive: true });
    await symlink(outside, join(dir, 'proj', 'sub'));
    await writeFile(join(outside, 'new.txt'), 'made through the link');
    const before = { tree: await describeTree(dir), outside: await describeTree(outside) };
    await expect(handle.rollback()).rejects.toMatchObject({ code: 'ERR_EXISTS', message: expect.stringContaining('cannot roll back') as unknown });
    expect(await describeTree(dir)).toEqual(before.tree);
    expect(await describeTree(outside)).toEqual(before.outside);
    expect(await readFile(join(outside, 'c.txt'), 'utf8')).toBe('not the protected file\n');
    // Put the folder back and the rollback goes through.
    await rm(join(dir, 'proj', 'sub'));
    await mkdir(join(dir, 'proj', 'sub'));
    await handle.rollback();
    expect(await readFile(join(dir, 'proj', 'sub', 'c.txt'), 'utf8')).toBe('gamma\n');
  });

  it('the snapshot is tagged protect, its meta holds the reason and the tool, and it is a protect snapshot, not a backup', async () => {
    const { dir, protector } = await setup();
    const handle = await protector.protect([join(dir, 'data.db')], { reason: 'migrate schema' });
    await handle.commit();
    expect(handle.state).toBe('committed');
    const [entry] = (await listSnapshots(protector.repo)).snapshots;
    expect(entry?.id).toBe(handle.snapshotId);
    expect(entry?.snapshot.tags).toEqual([PROTECT_TAG]);
    expect(entry?.snapshot.paths).toEqual([join(dir, 'data.db')]);
    expect(entry?.snapshot.meta).toMatchObject({ 'protect.reason': 'migrate schema', 'protect.tool': 'protect-test' });
    expect(snapshotKind(entry!.snapshot)).toBe('protect');
    // A committed change stays.
    await writeFile(join(dir, 'data.db'), 'v2');
    expect(await readFile(join(dir, 'data.db'), 'utf8')).toBe('v2');
  });

  it('withProtection rolls back when the function throws (and rethrows), and keeps the change when it returns', async () => {
    const { dir, protector } = await setup();
    const file = join(dir, 'proj', 'a.txt');
    const boom = new Error('the codemod failed half way');
    await expect(withProtection([file, join(dir, 'proj', 'sub')], async () => {
      await writeFile(file, 'half written');
      await writeFile(join(dir, 'proj', 'sub', 'stray.txt'), 'left over');
      throw boom;
    }, { reason: 'codemod', repo: protector })).rejects.toBe(boom);
    expect(await readFile(file, 'utf8')).toBe('alpha\n');
    expect((await describeTree(join(dir, 'proj', 'sub'))).has('stray.txt')).toBe(false);

    const value = await protector.withProtection([file], async (handle) => {
      expect(handle.state).toBe('open');
      await writeFile(file, 'done');
      return 42;
    }, { reason: 'codemod' });
    expect(value).toBe(42);
    expect(await readFile(file, 'utf8')).toBe('done');
  });

  it('a protect snapshot is never a backup\'s parent, and forget with a policy never drops a real backup for it', async () => {
    const { work, dir, repo, protector } = await setup();
    const source = createLocalSource();
    const proj = join(dir, 'proj');
    const t = (h: number): Date => new Date(Date.UTC(2024, 0, 1, h));
    const first = await backup(repo, { source, paths: [proj], time: t(1) });
    await writeFile(join(proj, 'a.txt'), 'alpha 2\n');
    const second = await backup(repo, { source, paths: [proj], time: t(2) });
    // The protect snapshot has the very paths and host of the backups, and is newer.
    const handle = await protector.protect([proj], { reason: 'tidy', time: t(3) });
    await handle.commit();
    await writeFile(join(proj, 'a.txt'), 'alpha 3\n');
    const third = await backup(await reopen(work), { source, paths: [proj], time: t(4) });
    expect(third.snapshot.parent === null ? null : Buffer.from(third.snapshot.parent).toString('hex')).toBe(second.id);

    await forget(await reopen(work), { snapshots: [third.id] });
    const result = await forget(await reopen(work), { policy: { last: 1 }, groupBy: ['host', 'paths'], now: t(5) });
    expect(result.removed).toEqual([first.id]);
    const left = (await listSnapshots(await reopen(work))).snapshots.map((e) => e.id).sort();
    expect(left).toEqual([second.id, handle.snapshotId].sort());
  });

  it('keeps the last N protect snapshots of each path, and the next protect of the same paths takes the last one as its parent', async () => {
    const { dir, protector } = await setup(2);
    const file = join(dir, 'data.db');
    const other = await protector.protect([join(dir, 'proj', 'a.txt')], { reason: 'other path' });
    await other.commit();
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      await writeFile(file, seededBytes(50_000, 10 + i));
      const handle = await protector.protect([file], { reason: `version ${i}`, time: new Date(Date.UTC(2024, 0, 1, i)) });
      await handle.commit();
      if (i > 0) expect(handle.snapshot?.parent === null ? null : Buffer.from(handle.snapshot!.parent!).toString('hex')).toBe(ids[i - 1]);
      ids.push(handle.snapshotId!);
      if (i >= 2) expect(handle.forgotten).toEqual([ids[i - 2]]);
    }
    const left = (await listSnapshots(protector.repo)).snapshots.map((e) => e.id).sort();
    expect(left).toEqual([other.snapshotId, ids[2], ids[3]].sort());
    expect(() => createProtector(protector.repo, { source: createLocalSource(), target: createLocalTarget, keep: 0 })).toThrow(RangeError);
  });

  it('refuses bad input before storing anything: no reason, no paths, two paths with one name', async () => {
    const { dir, protector } = await setup();
    await expect(protector.protect([join(dir, 'data.db')], { reason: ' ' })).rejects.toThrow(TypeError);
    await expect(protector.protect([], { reason: 'x' })).rejects.toThrow(TypeError);
    await writeFile(join(dir, 'a.txt'), 'other a');
    await expect(protector.protect([join(dir, 'a.txt'), join(dir, 'proj', 'a.txt')], { reason: 'x' })).rejects.toMatchObject({ code: 'ERR_USAGE' });
    expect((await listSnapshots(protector.repo)).snapshots).toEqual([]);
  });
});

/** Starts protect-process.ts from source (tsx), as startEngine does. */
function startProtect(args: { repo: string; paths: string[]; reason: string; keep: number }): ChildRun {
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = fileURLToPath(new URL('./protect-process.ts', import.meta.url));
  return watchChild(spawn(process.execPath, ['--import', loader, '--conditions=@cairn/source', script, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'] }));
}


describe('protect: two processes protecting one file at once', () => {
  it('both get a snapshot of their own; neither\'s retention forgets the other\'s while its change is open; each rolls back to what it read', { timeout: 120_000 }, async () => {
    const { work, dir } = await setup();
    const file = join(dir, 'data.db');
    const repoPath = join(work, 'repo');
    const outputs = [startProtect({ repo: repoPath, paths: [file], reason: 'first', keep: 1 }), startProtect({ repo: repoPath, paths: [file], reason: 'second', keep: 1 })];
    const seen = outputs.map(() => '');
    outputs.forEach((run, i) => run.child.stdout?.on('data', (d: Buffer) => (seen[i] += d.toString())));
    for (let waited = 0; seen.some((s) => !s.includes('protected')) && waited < 60_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const ids = seen.map((s) => /protected (\w+)/.exec(s)?.[1]);
    expect(ids.every((id) => id !== undefined && id.length === 64)).toBe(true);
    expect(ids[0]).not.toBe(ids[1]);
    // keep 1, yet both stay: each one's change is open (its lease is live).
    const held = (await listSnapshots(await reopen(work))).snapshots.map((e) => e.id);
    expect(held.sort()).toEqual([...ids].sort());

    await writeFile(file, 'the change of both');
    outputs[0]!.child.stdin?.end('rollback\n');
    const firstEnd = await outputs[0]!.done;
    expect(firstEnd.stderr).toBe('');
    expect(await readFile(file)).toEqual(seededBytes(50_000, 4));
    outputs[1]!.child.stdin?.end('commit\n');
    expect((await outputs[1]!.done).code).toBe(0);
    expect(await check(await reopen(work), { readData: true })).toMatchObject({ problems: [] });
  });
});
