import { cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { listSnapshots, openRepository } from '@cairn/repository';
import { forget, prune } from '@cairn/repository/maintenance';
import { readLocks } from '@cairn/repository/locks';
import type { PruneResult } from '@cairn/repository/maintenance';
import { createLocalBackend } from '@cairn/transport';
import { tempDir } from '../../../packages/repository/test/helpers.js';
import { backupDir, checkProblems, fileHashes, reopen, restoredHashes, smallRepo, writeFiles } from '../../../packages/repository/test/lifecycle-helpers.js';
import { startCli } from './run-cli.js';

/** How many times to kill a prune; CI runs the default, a stress run sets CAIRN_CRASH_LOOPS=200. */
const LOOPS = Number(process.env['CAIRN_CRASH_LOOPS'] ?? 10);
/** Snapshots kept at any time; older ones are forgotten, which makes more garbage. */
const KEEP = 4;

/** Milliseconds until a run ends. */
async function timed(done: Promise<unknown>): Promise<number> {
  const started = Date.now();
  await done;
  return Date.now() - started;
}

describe('crash safety of prune', () => {
  it(`kill -9 of a real \`cairn prune\` at a random moment (${LOOPS} times) leaves a repository that checks clean and restores every snapshot byte for byte`, { timeout: 60_000 + LOOPS * 20_000 }, async () => {
    expect(Number.isInteger(LOOPS) && LOOPS > 0).toBe(true);
    const work = await tempDir();
    const repo = await smallRepo(work);
    const repoPath = join(work, 'repo');
    const kept: { id: string; dir: string; hashes: Map<string, string> }[] = [];
    let killed = 0;
    let duration = 0;
    // Node's start-up takes part of each run: kills are spread over the part after it.
    const startup = await timed(startCli(['--version']).done);

    for (let round = 0; round < LOOPS; round += 1) {
      // New garbage each round: a snapshot made partly unused (a second backup after deleting
      // files, so prune has packs to repack), and the oldest kept snapshots forgotten.
      const dir = join(work, `round${round}`, 'tree');
      await writeFiles(dir, 1000 + round, 10, 8_000);
      const full = await backupDir(repo, dir);
      for (let i = 0; i < 10; i += 3) await rm(join(dir, `f${i}.bin`));
      const trimmed = await backupDir(repo, dir);
      await forget(repo, { snapshots: [full.id] });
      kept.push({ id: trimmed.id, dir, hashes: await fileHashes(dir) });
      while (kept.length > KEEP) await forget(repo, { snapshots: [kept.shift()!.id] });

      const began = performance.now();
      const run = startCli(['--repo', repoPath, 'prune', '--grace', '0', '--max-unused', '0%']);
      if (round === 0) {
        // The first prune runs to its end: how long one takes sets the range of kill times.
        duration = await timed(run.done.then((result) => expect(result.code, result.stderr).toBe(0)));
      } else {
        const from = Math.min(startup * 0.8, duration * 0.5);
        await sleep(from + Math.random() * (duration * 1.1 - from));
        run.child.kill('SIGKILL');
        const result = await run.done;
        if (result.signal === 'SIGKILL') killed += 1;
        else {
          expect(result.code, result.stderr).toBe(0); // it finished before the kill
          // Kill before the quickest prune so far would end: one slow first run (a busy machine)
          // must not let most later ones finish before their kill.
          duration = Math.min(duration, performance.now() - began);
        }
      }

      // Whatever the moment, the repository is consistent and every kept snapshot restores exactly.
      expect(await checkProblems(work), `after round ${round}`).toEqual([]);
      const fresh = await reopen(work);
      expect((await listSnapshots(fresh)).snapshots.map((s) => s.id).sort()).toEqual(kept.map((k) => k.id).sort());
      for (const snapshot of kept) expect(await restoredHashes(fresh, snapshot.id, 'tree')).toEqual(snapshot.hashes);
    }

    // A prune that runs to its end cleans up whatever the killed ones left: locks, records, garbage.
    const final = await prune(await reopen(work), { graceMs: 0, maxUnused: 0 });
    expect(final.pending.records).toBe(0);
    const settled = await prune(await reopen(work), { graceMs: 0, maxUnused: 0 });
    expect(marked(settled)).toBe(0);
    expect((await readLocks(repo.backend)).locks).toEqual([]);
    expect(await checkProblems(work)).toEqual([]);
    const fresh = await reopen(work);
    for (const snapshot of kept) expect(await restoredHashes(fresh, snapshot.id, 'tree')).toEqual(snapshot.hashes);
    if (LOOPS >= 10) expect(killed).toBeGreaterThan(LOOPS / 3);
  });

  it('a prune that dies at any one of its writes or deletes (each tried in turn) leaves a consistent repository', { timeout: 300_000 }, async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'tree');
    await writeFiles(dir, 7, 12, 6_000);
    const full = await backupDir(repo, dir);
    for (let i = 0; i < 12; i += 2) await rm(join(dir, `f${i}.bin`));
    const trimmed = await backupDir(repo, dir);
    await writeFiles(join(work, 'other', 'tree'), 8, 4, 6_000);
    const other = await backupDir(repo, join(work, 'other', 'tree'));
    await forget(repo, { snapshots: [full.id, other.id] });
    const expected = await fileHashes(dir);
    const pristine = join(work, 'pristine');
    await cp(join(work, 'repo'), pristine, { recursive: true });

    // How many writes and deletes a whole prune makes.
    const counting = faulty(createLocalBackend(join(work, 'repo')), Infinity);
    await prune(await openRepository(counting.backend), { graceMs: 0, maxUnused: 0 });
    const total = counting.operations();
    expect(total).toBeGreaterThan(10);

    for (let stop = 0; stop < total; stop += 1) {
      await rm(join(work, 'repo'), { recursive: true });
      await cp(pristine, join(work, 'repo'), { recursive: true });
      const dying = faulty(createLocalBackend(join(work, 'repo')), stop);
      await expect(prune(await openRepository(dying.backend), { graceMs: 0, maxUnused: 0 }), `dying after ${stop} operations`).rejects.toThrow('injected crash');
      // The process is gone: its lock files would be stale (its pid gone); records stay.
      for (const name of await readdir(join(work, 'repo', 'locks'))) if (!name.startsWith('pending-')) await rm(join(work, 'repo', 'locks', name));
      expect(await checkProblems(work), `after dying after ${stop} of ${total} operations`).toEqual([]);
      expect(await restoredHashes(await reopen(work), trimmed.id, 'tree')).toEqual(expected);
      // The next prune finishes the work, all of it: one more finds nothing to do.
      const next = await prune(await reopen(work), { graceMs: 0, maxUnused: 0 });
      expect(next.keptAgain, `kept after dying after ${stop} operations`).toBe(0);
      const after = await prune(await reopen(work), { graceMs: 0, maxUnused: 0 });
      expect(marked(after), `marked again after dying after ${stop} operations`).toBe(0);
      expect(await checkProblems(work)).toEqual([]);
      expect(await restoredHashes(await reopen(work), trimmed.id, 'tree')).toEqual(expected);
    }
  });
});

/** Packs a prune marked, for any reason. */
function marked(result: PruneResult): number {
  return result.marked.unused.packs + result.marked.repacked.packs + result.marked.unindexed.packs;
}

/** A backend that performs its first `survive` writes and deletes, then fails every call, as if its process died. */
function faulty(inner: Backend, survive: number): { backend: Backend; operations: () => number } {
  let operations = 0;
  let dead = false;
  const die = (): never => {
    dead = true;
    throw new CairnError('ERR_IO', 'injected crash');
  };
  const mutate = <T>(run: () => Promise<T>): Promise<T> => {
    if (dead || operations >= survive) return Promise.reject(die());
    operations += 1;
    return run();
  };
  const alive = <T>(run: () => T): T => (dead ? die() : run());
  return {
    operations: () => operations,
    backend: {
      location: inner.location,
      create: () => mutate(() => inner.create()),
      write: (type, name, data) => mutate(() => inner.write(type, name, data)),
      remove: (type, name) => mutate(() => inner.remove(type, name)),
      read: (type, name, range) => alive(() => inner.read(type, name, range)),
      stat: (type, name) => alive(() => inner.stat(type, name)),
      list: (type) => alive(() => inner.list(type)),
    },
  };
}
