import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Backend, FileInfo } from '@cairn/core';
import { toHex } from '@cairn/core';
import { blobId } from '@cairn/chunker';
import { decodeIndexFile, encodeIndexFile } from '@cairn/index';
import { check, listSnapshots, openRepository } from '@cairn/repository';
import { forget, prune } from '@cairn/repository/maintenance';
import { acquireLease } from '@cairn/repository/locks';
import { createLocalBackend } from '@cairn/transport';
import type { PruneResult } from '@cairn/repository/maintenance';
import { tempDir } from '../../../packages/repository/test/helpers.js';
import { backupDir, checkProblems, fileHashes, reopen, restoredHashes, smallRepo, writeFiles } from '../../../packages/repository/test/lifecycle-helpers.js';
import { jsonSummary, startCli } from './run-cli.js';

const WRITERS = 4;

describe('concurrent writers and prune', () => {
  it(`${WRITERS} processes back up different trees into one repository while prune runs: check passes, every snapshot restores exactly`, async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const repoPath = join(work, 'repo');
    // Garbage for prune to find: a forgotten snapshot whose files the writers' trees partly contain
    // again (so a writer may reuse blobs that prune has just marked).
    const garbage = join(work, 'garbage');
    await writeFiles(garbage, 50, 8);
    await forget(repo, { snapshots: [(await backupDir(repo, garbage)).id] });
    const keptDir = join(work, 'kept');
    await writeFiles(keptDir, 60, 4);
    const kept = await backupDir(repo, keptDir);

    const trees: string[] = [];
    for (let w = 0; w < WRITERS; w += 1) {
      const tree = join(work, `writer${w}`);
      await writeFiles(tree, 100 + w, 100, 40_000); // ~6 MB in ~4 KiB chunks: a few seconds of work each
      await mkdir(join(tree, 'reused'));
      await copyFile(join(garbage, `f${w}.bin`), join(tree, 'reused', `g${w}.bin`));
      trees.push(tree);
    }

    // A fifth backup, held by the test, is still running when the first prune starts, however fast
    // the four writers are: that prune must mark and leave the sweep for later.
    const slowWriter = await acquireLease(await reopen(work));
    const writers = trees.map((tree) => startCli(['--repo', repoPath, 'backup', tree, '--json']));
    // Start pruning once every writer holds its lease, and keep pruning while any of them runs.
    const leases = async (): Promise<number> => (await readdir(join(repoPath, 'locks'))).filter((n) => n.startsWith('lease-')).length;
    for (let i = 0; i < 1000 && (await leases()) < WRITERS + 1; i += 1) await sleep(10);
    let running = true;
    void Promise.all(writers.map((w) => w.done)).then(() => (running = false));
    const prunes: PruneResult[] = [];
    do {
      const run = await startCli(['--repo', repoPath, 'prune', '--grace', '0', '--max-unused', '0%', '--json']).done;
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      prunes.push(jsonSummary(run.stdout) as PruneResult);
      if (prunes.length === 1) await slowWriter.release();
    } while (running);

    const results = await Promise.all(writers.map((w) => w.done));
    for (const result of results) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    // The first prune ran while backups held leases: it marked, and its sweep waited for them.
    expect(prunes[0]?.marked.unused.packs).toBeGreaterThan(0);
    expect(prunes[0]?.pending.waitingFor.length).toBeGreaterThan(0);
    const ids = results.map((r) => (jsonSummary(r.stdout) as { id: string }).id);

    const verify = async (): Promise<void> => {
      expect(await checkProblems(work)).toEqual([]);
      const fresh = await reopen(work);
      expect((await listSnapshots(fresh)).snapshots.map((s) => s.id).sort()).toEqual([...ids, kept.id].sort());
      for (const [w, id] of ids.entries()) expect(await restoredHashes(fresh, id, `writer${w}`)).toEqual(await fileHashes(trees[w]!));
      expect(await restoredHashes(fresh, kept.id, 'kept')).toEqual(await fileHashes(keptDir));
    };
    await verify();

    // With every writer gone, a prune sweeps what was marked, keeping what the writers reused.
    const final = await prune(await reopen(work), { graceMs: 0, maxUnused: 0 });
    expect(final.pending.records).toBe(0);
    expect(prunes.reduce((sum, p) => sum + p.deleted.packs, 0) + final.deleted.packs).toBeGreaterThan(0);
    await verify();
    expect(await readdir(join(repoPath, 'locks'))).toEqual([]);
  });

  it('opening a repository while a prune replaces index files (between list and read) loads the new file and reports nothing', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await writeFiles(join(work, 'a'), 1, 4);
    await writeFiles(join(work, 'b'), 2, 4);
    await backupDir(repo, join(work, 'a'));
    await backupDir(repo, join(work, 'b'));
    const inner = createLocalBackend(join(work, 'repo'));
    let replaced = '';
    // The first listing of index/ is taken just before a "prune" merges both files into one.
    async function* listThenReplace(): AsyncIterable<FileInfo> {
      const listed: FileInfo[] = [];
      for await (const file of inner.list('index')) listed.push(file);
      const packs = [];
      for (const file of listed) packs.push(...decodeIndexFile(await inner.read('index', file.name), file.name));
      const bytes = encodeIndexFile(packs);
      replaced = toHex(blobId(bytes));
      await inner.write('index', replaced, bytes);
      for (const file of listed) await inner.remove('index', file.name);
      yield* listed;
    }
    let first = true;
    const racing: Backend = {
      ...inner,
      list: (type) => {
        if (type !== 'index' || !first) return inner.list(type);
        first = false;
        return listThenReplace();
      },
    };
    const opened = await openRepository(racing);
    expect(opened.indexProblems).toEqual([]);
    expect(opened.indexFiles).toEqual([replaced]);
    expect(opened.index.size).toBe(repo.index.size);
    expect((await check(opened)).problems).toEqual([]);
  });
});
