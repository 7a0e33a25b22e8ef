import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CairnError } from '@cairn/core';
import { backup, listSnapshots, openRepository } from '@cairn/repository';
import type { BackupWarning } from '@cairn/repository';
import { forget, prune } from '@cairn/repository/maintenance';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { acquireExclusiveLock, acquireLease, CLOCK_SKEW_MS, holdLock, lockState, readLocks, unlock } from '@cairn/repository/locks';
import { tempDir } from './helpers.js';
import { backupDir, packFiles, reopen, smallRepo, writeFiles } from './lifecycle-helpers.js';

const FAST = { refreshMs: 40, staleMs: 120 };

/** Checks that a lease being acquired still waits after 150 ms, and is acquired once `release` has run. */
async function leaseWaitsFor(repo: Parameters<typeof acquireLease>[0], release: () => Promise<unknown>): Promise<void> {
  let acquired = false;
  const pending = acquireLease(repo, { pollMs: 10 }).then((lease) => {
    acquired = true;
    return lease;
  });
  await sleep(150);
  expect(acquired).toBe(false);
  await release();
  await (await pending).release();
  expect(acquired).toBe(true);
}

/** The pid of a process that has exited (so no process has it, for now). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** Writes a lock file as another process would (the format of docs/FORMAT.md). */
async function foreignLock(work: string, lock: { kind: string; host: string; pid: number; refreshedAgoMs: number; purpose?: string; staleMs?: number }): Promise<string> {
  const token = Math.floor(Math.random() * 2 ** 48).toString(16).padStart(16, '0');
  const name = `${lock.kind}-${token}-0`;
  const refreshed = new Date(Date.now() - lock.refreshedAgoMs).toISOString();
  await writeFile(join(work, 'repo', 'locks', name), JSON.stringify({
    v: 1, kind: lock.kind, token, purpose: lock.purpose ?? (lock.kind === 'lease' ? 'backup' : 'prune'), host: lock.host, pid: lock.pid,
    started: refreshed, refreshed, staleMs: lock.staleMs ?? 15 * 60_000,
  }));
  return name;
}

async function lockNames(work: string): Promise<string[]> {
  return (await readdir(join(work, 'repo', 'locks'))).sort();
}

async function repoWithGarbage() {
  const work = await tempDir();
  const repo = await smallRepo(work);
  await writeFiles(join(work, 'a'), 1, 6);
  await writeFiles(join(work, 'b'), 2, 6);
  const first = await backupDir(repo, join(work, 'a'));
  await backupDir(repo, join(work, 'b'));
  await forget(repo, { snapshots: [first.id] });
  return { work, repo };
}

describe('locks', () => {
  it('a lease is a file in locks/ while held, rewritten under its next name at each refresh, and gone after release', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const lease = await acquireLease(repo, { purpose: 'backup', timings: FAST });
    const { locks } = await readLocks(repo.backend);
    expect(locks).toEqual([expect.objectContaining({ kind: 'lease', purpose: 'backup', host: hostname(), pid: process.pid, staleMs: 120 })]);
    const firstName = locks[0]?.name;
    expect(firstName).toMatch(/^lease-[0-9a-f]{16}-0$/);
    // Same holder, later files (during a refresh the next file exists before the previous goes).
    // Refreshes come every 40 ms; a loaded machine may delay them, so look until the second one
    // (at most 10 s), checking the files at each look.
    const token = firstName?.split('-')[1];
    let generation = 0;
    for (const deadline = Date.now() + 10_000; generation < 2 && Date.now() < deadline;) {
      await sleep(20);
      // A refresh writes its next file under a temporary name first: that is no lock file yet.
      const names = (await lockNames(work)).filter((name) => !name.startsWith('.tmp-'));
      expect(names.length === 1 || names.length === 2).toBe(true);
      expect(names.every((name) => name.split('-')[1] === token)).toBe(true);
      generation = Math.max(generation, ...names.map((name) => Number(name.split('-')[2])));
    }
    expect(generation).toBeGreaterThanOrEqual(2);
    await lease.release();
    expect(await lockNames(work)).toEqual([]);
  });

  it('a second exclusive holder fails with ERR_LOCKED naming the holder; after release it succeeds', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const held = await acquireExclusiveLock(repo.backend, 'repair index');
    const error = await prune(repo).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_LOCKED', hint: expect.stringContaining('wait for it to finish') });
    expect(String((error as Error).message)).toMatch(new RegExp(`is locked: exclusive of repair index on host ${hostname()} \\(pid ${process.pid}\\), started \\d+s ago, refreshed \\d+s ago`));
    expect(await lockNames(work)).toHaveLength(1); // the loser removed its own file
    await held.release();
    await expect(prune(repo)).resolves.toMatchObject({ dryRun: false });
  });

  it('locks of a process that is gone from this host are stale: prune breaks the lock and ignores the lease', async () => {
    const { work, repo } = await repoWithGarbage();
    const pid = deadPid();
    await foreignLock(work, { kind: 'exclusive', host: hostname(), pid, refreshedAgoMs: 0 });
    await foreignLock(work, { kind: 'lease', host: hostname(), pid, refreshedAgoMs: 0 });
    const result = await prune(repo, { graceMs: 0 });
    expect(result.deleted.packs).toBeGreaterThan(0); // the dead lease did not defer the sweep
    expect(await lockNames(work)).toEqual([]); // prune removed both: their process is provably gone
    await foreignLock(work, { kind: 'lease', host: hostname(), pid, refreshedAgoMs: 0 });
    const left = await unlock(repo.backend);
    expect(left.removed.map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`^lease of backup on host .+ \\(pid ${pid}\\), started .* ago: stale, process ${pid} on this host is gone$`))]);
    expect(await lockNames(work)).toEqual([]);
  });

  it('a lock of another host is live until it misses its refreshes; unlock removes only stale locks unless told to remove all', async () => {
    const { work, repo } = await repoWithGarbage();
    const live = await foreignLock(work, { kind: 'exclusive', host: 'other-host', pid: 4242, refreshedAgoMs: 1000 });
    await expect(prune(repo)).rejects.toMatchObject({ code: 'ERR_LOCKED', message: expect.stringMatching(/exclusive of prune on host other-host \(pid 4242\)/), hint: expect.stringContaining('unlock --remove-all') });
    expect((await unlock(repo.backend)).kept.map((e) => e.name)).toEqual([live]);
    await rm(join(work, 'repo', 'locks', live));

    const stale = await foreignLock(work, { kind: 'exclusive', host: 'other-host', pid: 4242, refreshedAgoMs: 25 * 60_000 });
    await expect(prune(repo)).rejects.toMatchObject({ code: 'ERR_LOCKED', hint: expect.stringContaining('looks stale: remove it with `cairn unlock`') });
    const unlocked = await unlock(repo.backend);
    expect(unlocked.removed).toEqual([expect.objectContaining({ name: stale, message: expect.stringContaining('stale, not refreshed for 25m') })]);

    const lease = await foreignLock(work, { kind: 'lease', host: 'other-host', pid: 4242, refreshedAgoMs: 1000 });
    const deferred = await prune(repo, { graceMs: 0 });
    expect(deferred.deleted.packs).toBe(0);
    expect(deferred.pending.waitingFor).toEqual([expect.stringContaining('lease of backup on host other-host (pid 4242)')]);
    expect((await unlock(repo.backend, { removeAll: true })).removed.map((e) => e.name)).toEqual([lease]);
    expect((await readLocks(repo.backend)).locks).toEqual([]);
    expect((await prune(repo, { graceMs: 0 })).deleted.packs).toBeGreaterThan(0);
    expect(await lockNames(work)).toEqual([]); // records are swept; unlock never removed them
  });

  it('a lock of another host is given CLOCK_SKEW_MS for that host\'s clock: a lease from a clock minutes behind still holds off a prune', async () => {
    const { work, repo } = await repoWithGarbage();
    // Refreshed a minute ago by a clock 3 minutes behind this one: it looks 19 minutes old, past its staleMs of 15.
    const behind = await foreignLock(work, { kind: 'lease', host: 'other-host', pid: 4242, refreshedAgoMs: 19 * 60_000 });
    const [lock] = (await readLocks(repo.backend)).locks;
    expect(lockState(lock!, Date.now(), 'this-host')).toMatchObject({ live: true, dead: false });
    expect(lockState(lock!, lock!.refreshed + lock!.staleMs + CLOCK_SKEW_MS + 1, 'this-host')).toMatchObject({ live: false, dead: false });
    // The same times judged as this host's own lock (its pid alive): no allowance, this clock wrote them.
    expect(lockState({ ...lock!, pid: process.pid }, Date.now(), 'other-host')).toMatchObject({ live: false });
    // A refresh time ahead of this clock is live.
    expect(lockState({ ...lock!, refreshed: Date.now() + 10 * 60_000 }, Date.now(), 'this-host').live).toBe(true);

    const deferred = await prune(repo, { graceMs: 0 });
    expect(deferred.deleted.packs).toBe(0);
    expect(deferred.pending.waitingFor).toEqual([expect.stringContaining('lease of backup on host other-host (pid 4242)')]);
    expect((await unlock(repo.backend)).kept.map((e) => e.name)).toEqual([behind]);

    // A sweep marker (staleMs 60 s) of a host whose clock is 2 minutes behind keeps a lease waiting.
    await rm(join(work, 'repo', 'locks', behind));
    const marker = await foreignLock(work, { kind: 'sweep', host: 'other-host', pid: 4242, refreshedAgoMs: 2 * 60_000, staleMs: 60_000 });
    await leaseWaitsFor(repo, () => rm(join(work, 'repo', 'locks', marker)));
  });

  it('a lease waits while a prune holds a live sweep marker, and not for a marker whose holder is gone', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const marker = await holdLock(repo.backend, 'sweep', 'prune');
    await leaseWaitsFor(repo, () => marker.release());

    await foreignLock(work, { kind: 'sweep', host: hostname(), pid: deadPid(), refreshedAgoMs: 0 });
    const lease = await acquireLease(repo, { pollMs: 10 });
    await lease.release();
  });

  it('a lease whose file was removed is written again at its next refresh; release fails only if a prune removed packs it relies on', async () => {
    const { work } = await repoWithGarbage();
    const harmless = await acquireLease(await reopen(work), { timings: FAST });
    await unlock((await reopen(work)).backend, { removeAll: true });
    await sleep(100);
    expect(await lockNames(work)).toEqual([expect.stringMatching(/^lease-/)]);
    await harmless.release();

    const user = await reopen(work); // knows the forgotten snapshot's packs
    const lease = await acquireLease(user, { timings: { refreshMs: 1500, staleMs: 4500 } });
    await unlock(user.backend, { removeAll: true }); // someone breaks the lease...
    const before = (await packFiles(work)).length;
    const sweep = await prune(await reopen(work), { graceMs: 0 }); // ...so a prune deletes
    expect(sweep.deleted.packs).toBeGreaterThan(0);
    expect((await packFiles(work)).length).toBe(before - sweep.deleted.packs);
    await sleep(1600); // the next refresh finds its file gone, and packs it knows of gone too
    await expect(lease.release()).rejects.toMatchObject({ code: 'ERR_LOCKED', message: expect.stringMatching(/lease on .* was lost \(its lock file was removed .*\), and a prune removed \d+ pack\(s\) this backup relies on/) });
  });

  it('a backup whose lease file cannot be removed at the end keeps its snapshot and warns: a failure would say nothing was stored', async () => {
    const work = await tempDir();
    await smallRepo(work);
    await writeFiles(join(work, 'src'), 1, 3);
    const local = createLocalBackend(join(work, 'repo'));
    // The storage goes away as the backup ends: removing its lease file fails, as a killed server would make it.
    const gone = new Proxy(local, {
      get: (target, key, receiver) => key === 'remove'
        ? async (type: string, name: string) => {
          if (type === 'lock') throw new CairnError('ERR_TRANSIENT', `DELETE locks/${name}: connection refused`);
          return target.remove(type as never, name);
        }
        : Reflect.get(target, key, receiver) as unknown,
    });
    const warnings: BackupWarning[] = [];
    const result = await backup(await openRepository(gone), { source: createLocalSource(), paths: [join(work, 'src')], onWarning: (w) => warnings.push(w) });
    const lockWarning = { kind: 'lock', path: local.location, message: expect.stringMatching(/^the lease file locks\/lease-[0-9a-f]+-0 could not be removed \(DELETE locks\/lease-.*connection refused\); it is ignored once stale/) };
    expect(warnings).toEqual([lockWarning]);
    expect(result).toMatchObject({ partial: false, warnings: [lockWarning] });
    const again = await reopen(work);
    expect((await listSnapshots(again)).snapshots.map((s) => s.id)).toEqual([result.id]);
    expect(await lockNames(work)).toEqual([expect.stringMatching(/^lease-/)]);
    // Without a listener (a read, here) the same failure still fails the call.
    const lease = await acquireLease(await openRepository(gone));
    await expect(lease.release()).rejects.toMatchObject({ code: 'ERR_TRANSIENT' });
  });

  it('writes locks into a repository without a locks/ folder (copied by git) and treats unreadable lock files as stale', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await rm(join(work, 'repo', 'locks'), { recursive: true });
    const lease = await acquireLease(repo);
    expect(await lockNames(work)).toEqual([expect.stringMatching(/^lease-/)]);
    await lease.release();
    await writeFile(join(work, 'repo', 'locks', 'lease-0123456789abcdef-0'), 'not json');
    expect(await readLocks(repo.backend)).toEqual({ locks: [], damaged: ['lease-0123456789abcdef-0'] });
    expect((await unlock(repo.backend)).removed).toEqual([{ name: 'lease-0123456789abcdef-0', message: 'locks/lease-0123456789abcdef-0 cannot be read as a lock file' }]);
  });
});
