import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Id, Target } from '@cairn/core';
import { backup, initRepository, listSnapshot, restore } from '@cairn/repository';
import { packFileName } from '@cairn/repository/testing';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { describeTree, flipByte, tempDir } from './helpers.js';
import { backedUpTree, fileContents, openCounting, tempFilesBelow } from './restore-fixture.js';
import { RESTORE_LIMITS, writeByPosition } from '../src/restore/file-writer.js';
import { RestoreContext } from '../src/restore/restore-context.js';
import { planRestore } from '../src/restore/restore-plan.js';
import { emptyRestoreResult } from '../src/restore/restore-tree.js';
import { findSnapshot } from '../src/repo/snapshots.js';
import type { BackedUp } from './restore-fixture.js';

/** A chunk that only the files at `paths` use (all of them), and nothing else in the snapshot. */
function chunkOnlyIn(contents: Map<string, Id[]>, paths: readonly string[]): Id {
  const others = new Set([...contents].filter(([path]) => !paths.includes(path)).flatMap(([, ids]) => ids.map(toHex)));
  const [first, ...rest] = paths.map((path) => contents.get(path) ?? []);
  const found = first?.findLast((id) => !others.has(toHex(id)) && rest.every((ids) => ids.some((other) => toHex(other) === toHex(id))));
  if (found === undefined) throw new Error(`setup: no chunk shared by exactly ${paths.join(', ')}`);
  return found;
}

/** Compares the restored tree with the source, leaving out `missing` (which must be absent). */
async function expectRestoredExcept(d: BackedUp, out: string, missing: readonly string[]): Promise<void> {
  const want = await describeTree(d.source);
  const got = await describeTree(join(out, 'tree'));
  for (const path of missing) {
    expect(got.has(path), path).toBe(false);
    want.delete(path);
  }
  // Folders that held a missing file have a newer mtime in the source than they can get: compare files and links only.
  const filesOnly = (tree: Map<string, string>) => [...tree].filter(([, what]) => !what.startsWith('dir '));
  expect(filesOnly(got)).toEqual(filesOnly(want));
}

/** Flips a byte in a blob only the files at `paths` use (the last such blob of the first file: it may be written already). */
async function damagedRepo(d: BackedUp, paths: readonly string[]): Promise<{ repo: Repository; pack: string }> {
  const { repo } = await openCounting(d.repoDir);
  const chunk = chunkOnlyIn(await fileContents(repo, d.snapshotId), paths);
  const location = repo.index.lookup(chunk)!;
  await flipByte(join(d.repoDir, packFileName(location.packId)), location.offset + Math.floor(location.length / 2));
  return { repo, pack: packFileName(location.packId) };
}

describe('restore by pack: damaged data', () => {
  it('a flipped byte: the files using that blob (and their hardlinks) are problems and absent, the rest is restored', async () => {
    const d = await backedUpTree();
    const { repo, pack } = await damagedRepo(d, ['tree/shared-a.bin', 'tree/nested/shared-b.bin']);
    const hard = await damagedRepo(d, ['tree/hard-1', 'tree/nested/deep/hard-2']);
    await damagedRepo(d, ['tree/big.bin']); // its last chunk: big.bin is open and partly written by then
    const out = join(d.work, 'out');
    const result = await restore(repo, d.snapshotId, { target: createLocalTarget(out) });
    // Problems are what the CLI turns into exit code 3 (partial).
    expect(result.problems.map((p) => p.path).sort()).toEqual(['tree/big.bin', 'tree/hard-1', 'tree/nested/deep/hard-2', 'tree/nested/shared-b.bin', 'tree/shared-a.bin']);
    const shared = result.problems.find((p) => p.path === 'tree/shared-a.bin')!;
    expect(shared.message).toMatch(new RegExp(`^tree/shared-a\\.bin: data blob [0-9a-f]{64} in ${pack}`));
    expect(result.problems.find((p) => p.path === 'tree/nested/deep/hard-2')!.message).toContain(hard.pack);
    expect(result.files).toBe(46);
    expect(result.hardlinks).toBe(0);
    await expectRestoredExcept(d, out, ['big.bin', 'shared-a.bin', 'nested/shared-b.bin', 'hard-1', 'nested/deep/hard-2']);
    expect(await tempFilesBelow(out)).toEqual([]);
  });

  it('a flipped byte found in the decode worker thread: the files using it are problems, named as in the main thread', async () => {
    const d = await backedUpTree();
    const { repo, pack } = await damagedRepo(d, ['tree/shared-a.bin', 'tree/nested/shared-b.bin']);
    const out = join(d.work, 'out');
    const ctx = new RestoreContext(repo, { target: createLocalTarget(out) }, emptyRestoreResult(d.snapshotId));
    const plan = await planRestore(ctx, (await findSnapshot(repo, d.snapshotId)).snapshot.tree);
    await writeByPosition(ctx, plan.files, { ...RESTORE_LIMITS, decodeThreads: 1, decodeThreadsFrom: 0 });
    expect(ctx.result.problems.map((p) => p.path).sort()).toEqual(['tree/nested/shared-b.bin', 'tree/shared-a.bin']);
    expect(ctx.result.problems[0]!.message).toMatch(new RegExp(`^tree/(nested/)?shared-[ab]\\.bin: data blob [0-9a-f]{64} in ${pack} is damaged`));
    expect(ctx.result.files).toBe(48);
    expect(await tempFilesBelow(out)).toEqual([]);
  });

  it('a damaged blob never replaces a file already in the target', async () => {
    const d = await backedUpTree();
    const out = join(d.work, 'out');
    const first = await restore((await openCounting(d.repoDir)).repo, d.snapshotId, { target: createLocalTarget(out) });
    expect(first.problems).toEqual([]);
    await writeFile(join(out, 'tree', 'shared-a.bin'), 'kept: a local copy\n');
    const { repo } = await damagedRepo(d, ['tree/shared-a.bin', 'tree/nested/shared-b.bin']);
    const again = await restore(repo, d.snapshotId, { target: createLocalTarget(out) });
    expect(again.problems.map((p) => p.path).sort()).toEqual(['tree/nested/shared-b.bin', 'tree/shared-a.bin']);
    expect(await readFile(join(out, 'tree', 'shared-a.bin'), 'utf8')).toBe('kept: a local copy\n');
    expect(await readFile(join(out, 'tree', 'nested', 'shared-b.bin'))).toEqual(await readFile(join(d.source, 'nested', 'shared-b.bin')));
    expect(await tempFilesBelow(out)).toEqual([]);
  });

  it('a damaged folder tree: the folder is a problem, everything else is restored', async () => {
    const d = await backedUpTree();
    const { repo } = await openCounting(d.repoDir);
    let subtree: Id | undefined;
    for await (const entry of listSnapshot(repo, d.snapshotId, 'tree/nested/deep')) if (entry.path === 'tree/nested/deep') subtree = entry.node.subtree;
    const location = repo.index.lookup(subtree!)!;
    expect(location.type).toBe('tree');
    await flipByte(join(d.repoDir, packFileName(location.packId)), location.offset + Math.floor(location.length / 2));
    const out = join(d.work, 'out');
    const result = await restore((await openCounting(d.repoDir)).repo, d.snapshotId, { target: createLocalTarget(out) });
    expect(result.problems.map((p) => p.path)).toEqual(['tree/nested/deep']);
    expect(result.problems[0]?.message).toContain(packFileName(location.packId));
    // hard-2 lived in the lost folder: hard-1 is restored as a plain file.
    expect(result).toMatchObject({ files: 48, hardlinks: 0 }); // empty-too and deeper/leaf.md are lost with it
    const got = await describeTree(join(out, 'tree'));
    expect([...got.keys()].filter((path) => path.startsWith('nested/deep/'))).toEqual([]);
    expect(got.get('nested/shared-b.bin')).toBe((await describeTree(d.source)).get('nested/shared-b.bin'));
    expect(got.get('small/s39.txt')).toBe((await describeTree(d.source)).get('small/s39.txt'));
  });

  it('a missing or truncated pack: only the files needing its lost blobs are problems, named with the pack', async () => {
    const d = await backedUpTree();
    const { repo } = await openCounting(d.repoDir);
    const contents = await fileContents(repo, d.snapshotId);
    const packOf = (id: Id): string => packFileName(repo.index.lookup(id)!.packId);
    const big = contents.get('tree/big.bin') ?? [];
    const [, gone, cut] = [...new Set(big.map(packOf))];
    // Remove one pack of big.bin, and cut the next one in the middle of a blob.
    await rm(join(d.repoDir, gone!));
    const inCut = big.filter((id) => packOf(id) === cut).map((id) => repo.index.lookup(id)!).sort((a, b) => a.offset - b.offset);
    const cutAt = inCut[Math.floor(inCut.length / 2)]!.offset + 1;
    await truncate(join(d.repoDir, cut!), cutAt);
    const lost = (id: Id): boolean => {
      const location = repo.index.lookup(id)!;
      return packOf(id) === gone || (packOf(id) === cut && location.offset + location.length > cutAt);
    };
    const users = [...contents].filter(([, ids]) => ids.some(lost)).map(([path]) => path).sort();
    expect(users.length).toBeGreaterThanOrEqual(1);
    expect(contents.get('tree/big.bin')?.filter((id) => packOf(id) === cut && !lost(id)).length).toBeGreaterThan(0);

    const out = join(d.work, 'out');
    const result = await restore(repo, d.snapshotId, { target: createLocalTarget(out) });
    expect(result.problems.map((p) => p.path).sort()).toEqual(users);
    expect(result.problems.find((p) => p.path === 'tree/big.bin')?.message).toMatch(new RegExp(`${gone}|${cut}`));
    await expectRestoredExcept(d, out, users.map((path) => path.slice('tree/'.length)));
    expect(await tempFilesBelow(out)).toEqual([]);
  });
});

/** The local target at `root`, whose positional files fail with `error` once `afterFiles` files were created. */
function failingTarget(root: string, afterFiles: number, error: () => CairnError, on: 'create' | 'write' | 'commit'): Target {
  const local = createLocalTarget(root);
  let created = 0;
  return {
    ...local,
    async createFile(path, size) {
      created += 1;
      if (on === 'create' && created > afterFiles) throw error();
      const file = await local.createFile!(path, size);
      if (created <= afterFiles || on === 'create') return file;
      return {
        write: async (data, position) => (on === 'write' ? Promise.reject(error()) : file.write(data, position)),
        commit: async (metadata) => (on === 'commit' ? Promise.reject(error()) : file.commit(metadata)),
        abort: () => file.abort(),
      };
    },
  };
}

describe('restore by pack: a failing target, an abort', () => {
  for (const on of ['create', 'write', 'commit'] as const) {
    it(`a full target at ${on} (after 5 files): the restore stops writing, names the file and how many more were not restored, and returns partial; no temporary file left`, async () => {
      const d = await backedUpTree();
      const out = join(d.work, 'out');
      const { repo } = await openCounting(d.repoDir);
      const full = () => new CairnError('ERR_NO_SPACE', `${out}: no space left on device`);
      const problems: string[] = [];
      const result = await restore(repo, d.snapshotId, { target: failingTarget(out, 5, full, on), onProblem: (p) => problems.push(p.message) });
      expect(result.problems.length).toBeGreaterThan(0);
      expect(problems.join('\n')).toMatch(/no space left on device/);
      expect(problems.join('\n')).toMatch(/file\(s\) were not restored, this one and those after it, because the target is full/);
      expect(result.files).toBeGreaterThanOrEqual(1);
      expect(await tempFilesBelow(out)).toEqual([]);
      // Whatever was committed is whole; nothing is half-written under its real name.
      const want = await describeTree(d.source);
      for (const [path, what] of await describeTree(join(out, 'tree'))) if (what.startsWith('file ')) expect(what.split(' ').slice(4, 6)).toEqual(want.get(path)?.split(' ').slice(4, 6));
    });
  }

  it('a real full target, small files written on the target\'s own thread: the restore stops there, names the file and those after it; what was written is whole, no temporary file left', { timeout: 60_000 }, async (context) => {
    const work = await tempDir('cairn-restore-full-');
    const source = join(work, 'tree');
    await mkdir(source);
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 30; i += 1) {
      const name = `f${String(i).padStart(2, '0')}`;
      contents.set(name, randomBytes(100_000));
      await writeFile(join(source, name), contents.get(name)!);
    }
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { packSize: 1024 * 1024 });
    const { id } = await backup(repo, { source: createLocalSource(), paths: [source] });
    const mnt = join(work, 'mnt');
    await mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch {
      context.skip('cannot mount a size-limited tmpfs (needs root)');
      return;
    }
    try {
      const problems: string[] = [];
      const target = createLocalTarget(join(mnt, 'out'), { wholeFileThreadFrom: 0 });
      const result = await restore(repo, id, { target, onProblem: (p) => problems.push(p.message) });
      expect(problems.join('\n')).toMatch(/no space left on device/);
      expect(problems.join('\n')).toMatch(/file\(s\) were not restored, this one and those after it, because the target is full/);
      expect(result.files).toBeGreaterThan(0);
      expect(result.files).toBeLessThan(30);
      expect(await tempFilesBelow(mnt)).toEqual([]);
      const restored = await readdir(join(mnt, 'out', 'tree'));
      expect(restored.length).toBe(result.files);
      for (const name of restored) expect(Buffer.compare(await readFile(join(mnt, 'out', 'tree', name)), contents.get(name)!), name).toBe(0);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  });

  it('a target that refuses every file and folder changed nothing: the restore fails (exit 1: nothing changed) naming the first refusal', async () => {
    const d = await backedUpTree();
    const out = join(d.work, 'out');
    const { repo } = await openCounting(d.repoDir);
    const local = createLocalTarget(out);
    const denied = (what: string) => new CairnError('ERR_PERMISSION', `${what}: permission denied`);
    const target: Target = {
      ...local,
      mkdir: async (path) => (path.length === 0 ? local.mkdir(path) : Promise.reject(denied(path.join('/')))),
      symlink: async (path) => Promise.reject(denied(path.join('/'))),
    };
    const error = await restore(repo, d.snapshotId, { target }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_IO')).toBe(true);
    expect((error as Error).message).toMatch(/^nothing was restored into .*: tree: permission denied/);
  });

  it('a target root that is a file fails before anything is written', async () => {
    const d = await backedUpTree();
    const file = join(d.work, 'a-file');
    await writeFile(file, 'keep me');
    const { repo } = await openCounting(d.repoDir);
    const error = await restore(repo, d.snapshotId, { target: createLocalTarget(file) }).catch((e: unknown) => e);
    expect(isCairnError(error) && error.message.includes(file)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });

  it('an abort while files are being written: ERR_ABORTED, no temporary file, no half-written file', async () => {
    const d = await backedUpTree();
    const out = join(d.work, 'out');
    const { repo } = await openCounting(d.repoDir);
    const controller = new AbortController();
    const local = createLocalTarget(out);
    let created = 0;
    const target: Target = {
      ...local,
      async createFile(path, size) {
        created += 1;
        if (created === 8) controller.abort();
        return local.createFile!(path, size);
      },
    };
    const error = await restore(repo, d.snapshotId, { target, signal: controller.signal }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_ABORTED')).toBe(true);
    expect(await tempFilesBelow(out)).toEqual([]);
    const want = await describeTree(d.source);
    const got = await describeTree(join(out, 'tree'));
    const files = [...got].filter(([, what]) => what.startsWith('file '));
    expect(files.length).toBeLessThan(50);
    for (const [path, what] of files) expect(what.split(' ').slice(4, 6)).toEqual(want.get(path)?.split(' ').slice(4, 6));
  });

  it('an abort during the walk: ERR_ABORTED before any file is written', async () => {
    const d = await backedUpTree();
    const out = join(d.work, 'out');
    const { repo } = await openCounting(d.repoDir);
    const controller = new AbortController();
    let actions = 0;
    const error = await restore(repo, d.snapshotId, {
      target: createLocalTarget(out),
      signal: controller.signal,
      onAction: () => {
        actions += 1;
        if (actions === 3) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_ABORTED')).toBe(true);
    expect(existsSync(join(out, 'tree', 'big.bin'))).toBe(false);
    expect(await tempFilesBelow(out)).toEqual([]);
  });
});
