import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import { createPackBuilder, encodeBlob } from '@cairn/pack';
import { check } from '@cairn/repository';
import { forget, prune, readPruneRecords } from '@cairn/repository/maintenance';
import { acquireLease } from '@cairn/repository/locks';
import { seededBytes, tempDir } from './helpers.js';
import { backupDir, checkProblems, fileHashes, packFiles, reopen, repoFiles, restoredHashes, smallRepo, writeFiles } from './lifecycle-helpers.js';

/** Two backups of different folders; the first is then forgotten. */
async function forgottenFirst() {
  const work = await tempDir();
  const repo = await smallRepo(work);
  await writeFiles(join(work, 'a'), 1, 12);
  await writeFiles(join(work, 'b'), 2, 12);
  const first = await backupDir(repo, join(work, 'a'));
  const second = await backupDir(repo, join(work, 'b'));
  await forget(repo, { snapshots: [first.id] });
  return { work, repo, first, second };
}

describe('prune', () => {
  it('deletes the packs only forgotten snapshots used (grace 0), frees their bytes, and keeps every snapshot restorable', async () => {
    const { work, repo, first, second } = await forgottenFirst();
    const before = await packFiles(work);
    const firstBlob = first.snapshot.tree;
    expect(repo.index.has(firstBlob)).toBe(true);

    const result = await prune(repo, { graceMs: 0 });
    expect(result.marked.unused.packs).toBeGreaterThan(0);
    expect(result.deleted.packs).toBe(result.marked.unused.packs);
    expect(result.deleted.bytes).toBeGreaterThan(12 * 20_000 * 0.9); // a's data, stored as is (random bytes)
    expect(result.pending).toMatchObject({ records: 0, packs: 0 });
    const after = await packFiles(work);
    expect(after.length).toBe(before.length - result.deleted.packs);
    expect(repo.index.has(firstBlob)).toBe(false); // the caller's view is reloaded
    expect(await repoFiles(work, 'locks')).toEqual([]); // lock and record gone

    expect(await checkProblems(work)).toEqual([]);
    expect(await restoredHashes(await reopen(work), second.id, 'b')).toEqual(await fileHashes(join(work, 'b')));
    // Nothing left to do: a second prune deletes and marks nothing.
    const again = await prune(repo, { graceMs: 0 });
    expect(again.deleted.packs + again.marked.unused.packs + again.marked.repacked.packs).toBe(0);
  });

  it('with the default grace marks but deletes nothing; the marked packs stay usable; a prune past the grace deletes them', async () => {
    const { work, repo, second } = await forgottenFirst();
    const before = await packFiles(work);
    const started = Date.now();
    const marking = await prune(repo);
    expect(marking.deleted.packs).toBe(0);
    expect(marking.pending.packs).toBe(marking.marked.unused.packs);
    expect(marking.pending.packs).toBeGreaterThan(0);
    expect(marking.pending.dueAt).toBeGreaterThanOrEqual(started + 3_600_000);
    expect(await packFiles(work)).toEqual(before);
    const { records } = await readPruneRecords(repo.backend);
    expect(records).toHaveLength(1);
    expect(records[0]?.packs.every((p) => p.reason === 'unused')).toBe(true);
    expect(await checkProblems(work)).toEqual([]);

    // Another prune within the grace period leaves the record alone and marks nothing twice.
    const early = await prune(repo);
    expect(early.deleted.packs).toBe(0);
    expect(early.marked.unused.packs).toBe(0);
    expect(early.pending.records).toBe(1);

    const sweep = await prune(repo, { graceMs: 0 });
    expect(sweep.deleted.packs).toBe(marking.pending.packs);
    expect(sweep.pending.records).toBe(0);
    expect(await checkProblems(work)).toEqual([]);
    expect(await restoredHashes(repo, second.id, 'b')).toEqual(await fileHashes(join(work, 'b')));
  });

  it('repacks partly used packs when their unused share is above --max-unused, and not with "unlimited"', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'proj');
    await writeFiles(dir, 3, 16, 6_000); // several files share each 32 KiB pack
    const first = await backupDir(repo, dir);
    for (let i = 0; i < 16; i += 2) await rm(join(dir, `f${i}.bin`));
    const second = await backupDir(repo, dir);
    await forget(repo, { snapshots: [first.id] });

    const lenient = await prune(repo, { graceMs: 0, maxUnused: 1 });
    expect(lenient.marked.repacked.packs).toBe(0);

    const strict = await prune(repo, { graceMs: 0, maxUnused: 0 });
    expect(strict.marked.repacked.packs).toBeGreaterThan(0);
    expect(strict.marked.repacked.newPacks).toBeGreaterThan(0);
    expect(strict.deleted.packs).toBe(strict.marked.repacked.packs + strict.marked.unused.packs);
    expect(await checkProblems(work)).toEqual([]);
    expect(await restoredHashes(await reopen(work), second.id, 'proj')).toEqual(await fileHashes(dir));
    // After a strict prune nothing is unused any more.
    const after = await prune(repo, { graceMs: 0, maxUnused: 0 });
    expect(after.marked.repacked.packs + after.marked.unused.packs).toBe(0);
  });

  it('does not sweep while a backup holds a live lease; sweeps once it is released', async () => {
    const { work, repo } = await forgottenFirst();
    const before = await packFiles(work);
    const lease = await acquireLease(await reopen(work));
    const deferred = await prune(repo, { graceMs: 0 });
    expect(deferred.deleted.packs).toBe(0);
    expect(deferred.pending.packs).toBeGreaterThan(0);
    expect(deferred.pending.waitingFor).toHaveLength(1);
    expect(deferred.pending.waitingFor[0]).toMatch(/^lease of backup on host .+ \(pid \d+\), started \d+s ago, refreshed \d+s ago$/);
    expect(await packFiles(work)).toEqual(before);
    await lease.release();
    const swept = await prune(repo, { graceMs: 0 });
    expect(swept.deleted.packs).toBe(deferred.pending.packs);
  });

  it('keeps marked packs whose blobs a backup that started before the mark went on to use', async () => {
    const { work, repo, first } = await forgottenFirst();
    // A backup starts (its lease is live) and has loaded the index with a's blobs in it.
    const running = await reopen(work);
    const lease = await acquireLease(running);
    const marking = await prune(repo, { graceMs: 0 });
    expect(marking.deleted.packs).toBe(0); // deferred by the lease
    // It now backs up a copy of a: every data blob is found in the index (marked packs) and reused.
    await writeFiles(join(work, 'copy', 'a'), 1, 12);
    const late = await backupDir(running, join(work, 'copy', 'a'));
    expect(late.snapshot.summary.dataBlobsAdded).toBe(0);
    await lease.release();

    const sweep = await prune(repo, { graceMs: 0 });
    expect(sweep.keptAgain).toBeGreaterThan(0);
    expect(await checkProblems(work)).toEqual([]);
    expect(await restoredHashes(await reopen(work), late.id, 'a')).toEqual(await fileHashes(join(work, 'a')));
    expect(first.id).not.toBe(late.id);
  });

  it('a process that opened the repository before a sweep reloads its index when its backup takes the lease', async () => {
    const { work, repo, first } = await forgottenFirst();
    const stale = await reopen(work); // holds a's blobs in its index
    const sweep = await prune(repo, { graceMs: 0 });
    expect(sweep.deleted.packs).toBeGreaterThan(0);
    expect(stale.index.has(first.snapshot.tree)).toBe(true); // not yet reloaded

    const again = await backupDir(stale, join(work, 'a'));
    // Every data blob is written anew, none reused from the deleted packs.
    expect(again.snapshot.summary.dataBlobsAdded).toBe(first.snapshot.summary.dataBlobsAdded);
    expect(await checkProblems(work)).toEqual([]);
    expect(await restoredHashes(await reopen(work), again.id, 'a')).toEqual(await fileHashes(join(work, 'a')));
  });

  it('marks packs no index names and deletes them only after the grace period', async () => {
    const { work, repo } = await forgottenFirst();
    await prune(repo, { graceMs: 0 }); // clean start
    const builder = createPackBuilder();
    const plain = seededBytes(5000, 99);
    builder.add(new Uint8Array(32).fill(7), 'data', encodeBlob(plain, null, 3));
    const pack = builder.finish();
    const orphan = toHex(pack.id);
    await repo.backend.write('data', orphan, pack.parts);

    const marking = await prune(repo);
    expect(marking.marked.unindexed).toEqual({ packs: 1, bytes: pack.size });
    expect(await packFiles(work)).toContain(orphan);
    const checked = await check(await reopen(work));
    expect(checked.problems).toEqual([]);
    expect(checked.notes).toEqual([expect.stringMatching(new RegExp(`${orphan} is in no index: prune marked it for deletion on \\d{4}-`))]);

    const sweep = await prune(repo, { graceMs: 0 });
    expect(sweep.deleted).toEqual({ packs: 1, bytes: pack.size });
    expect(await packFiles(work)).not.toContain(orphan);
  });

  it('refuses to prune when the index names a missing pack, and deletes nothing', async () => {
    const { work, repo, second } = await forgottenFirst();
    const location = repo.index.lookup(second.snapshot.tree);
    expect(location).toBeDefined();
    const victim = toHex(location!.packId);
    await rm(join(work, 'repo', 'data', victim.slice(0, 2), victim));
    const before = await packFiles(work);
    await expect(prune(repo, { graceMs: 0 })).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    expect(await packFiles(work)).toEqual(before);
    expect((await readPruneRecords(repo.backend)).records).toEqual([]);
    expect(await repoFiles(work, 'locks')).toEqual([]); // the exclusive lock was released
  });

  it('--dry-run reports what it would do and writes nothing', async () => {
    const { work, repo } = await forgottenFirst();
    const listing = async (): Promise<string[]> => (await readdir(join(work, 'repo'), { recursive: true })).sort();
    const before = await listing();
    const result = await prune(repo, { graceMs: 0, dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.marked.unused.packs).toBeGreaterThan(0);
    expect(result.deleted.packs).toBe(0);
    expect(await listing()).toEqual(before);
  });

  it('rejects bad options before touching anything', async () => {
    const { repo } = await forgottenFirst();
    await expect(prune(repo, { maxUnused: 1.5 })).rejects.toThrow(RangeError);
    await expect(prune(repo, { graceMs: -1 })).rejects.toThrow(/grace must be a time of 0 or more/);
  });
});
