import { readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError } from '@cairn/core';
import { listSnapshots } from '@cairn/repository';
import { enforceQuota, parseMaxSize, quotaLimit, repositorySize, updateConfig } from '@cairn/repository/maintenance';
import type { Repository } from '@cairn/repository';
import { tempDir } from './helpers.js';
import { backupDir, checkProblems, fileHashes, packFiles, reopen, restoredHashes, smallRepo, writeFiles } from './lifecycle-helpers.js';

const DAY = 86_400_000;

/** Rewrites half of the 10 files of `dir` with new bytes (seeded by `round`). */
async function change(dir: string, round: number): Promise<void> {
  const files = await writeFiles(join(dir, '..', `next${round}`), 500 + round, 10);
  for (const [name, bytes] of files) if (Number(name.slice(1, -4)) % 2 === round % 2) await writeFile(join(dir, name), bytes);
}

async function limited(work: string, change: Parameters<typeof updateConfig>[1]): Promise<Repository> {
  await updateConfig(await smallRepo(work), change);
  return reopen(work);
}

describe('repository size limit (maxSize)', () => {
  it('a sequence of backups of changing data stays under the limit, forgetting the oldest snapshots the policy lets go; the newest of each path group always remains', { timeout: 120_000 }, async () => {
    const work = await tempDir();
    const limit = 1_100_000;
    let repo = await limited(work, { maxSize: { bytes: limit }, retention: { last: 2 } });
    const other = join(work, 'other', 'tree');
    await writeFiles(other, 99, 4);
    const otherId = (await backupDir(repo, other, { time: new Date(0) })).id;
    const dir = join(work, 'main', 'tree');
    await writeFiles(dir, 1, 10);
    const forgotten: string[] = [];
    for (let round = 0; round < 12; round += 1) {
      if (round > 0) await change(dir, round);
      const result = await backupDir(repo, dir, { time: new Date(DAY * (round + 1)) });
      forgotten.push(...(result.quota?.forgotten ?? []));
      expect(result.quota?.limit).toBe(limit);
      const size = await repositorySize(repo.backend);
      expect(size, `round ${round}`).toBeLessThanOrEqual(limit);
      expect(result.quota?.sizeAfter).toBe(size);
      const ids = (await listSnapshots(repo)).snapshots.map((s) => s.id);
      expect(ids, `round ${round}`).toContain(result.id);
      expect(ids).toContain(otherId);
      expect(forgotten.some((id) => ids.includes(id))).toBe(false);
      expect(await restoredHashes(await reopen(work), result.id, 'tree')).toEqual(await fileHashes(dir));
      repo = await reopen(work);
    }
    // Without the limit 12 backups of ~150 KB new data each would hold ~2 MB: snapshots had to go.
    expect(forgotten.length).toBeGreaterThan(3);
    expect(await checkProblems(work)).toEqual([]);
  });

  it('never forgets the newest snapshot of a group, even when the policy would (keep only tagged snapshots)', async () => {
    const work = await tempDir();
    const dir = join(work, 'tree');
    await writeFiles(dir, 1, 10);
    const repo = await smallRepo(work);
    const tagged = await backupDir(repo, dir, { tags: ['keep'], time: new Date(DAY) });
    await change(dir, 1);
    const middle = await backupDir(repo, dir, { time: new Date(2 * DAY) });
    await change(dir, 2);
    const newest = await backupDir(repo, dir, { time: new Date(3 * DAY) });
    const size = await repositorySize(repo.backend);
    await updateConfig(repo, { maxSize: { bytes: size - 1000 }, retention: { tags: [['keep']] } });
    const result = await enforceQuota(await reopen(work));
    expect(result.forgotten).toEqual([middle.id]);
    expect(result.sizeAfter).toBeLessThan(size - 1000);
    expect((await listSnapshots(repo)).snapshots.map((s) => s.id).sort()).toEqual([tagged.id, newest.id].sort());
    // Still over a smaller limit: nothing more may go, and it says so.
    await updateConfig(await reopen(work), { maxSize: { bytes: 1000 } });
    const error = await enforceQuota(await reopen(work)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CairnError);
    expect(error).toMatchObject({ code: 'ERR_NO_SPACE', message: expect.stringContaining(`repository ${join(work, 'repo')}`) as string });
    expect((error as Error).message).toMatch(/lets no more snapshots go/);
    expect((await listSnapshots(repo)).snapshots).toHaveLength(2);
  });

  it('refuses a backup with ERR_NO_SPACE when no policy lets snapshots go: before writing (parent estimate) or by undoing it (after)', async () => {
    const work = await tempDir();
    const dir = join(work, 'tree');
    await writeFiles(dir, 1, 10); // ~300 KB
    const repo = await limited(work, { maxSize: { bytes: 500_000 } });
    const first = await backupDir(repo, dir);
    const expected = await fileHashes(dir);

    // The parent added ~300 KB: with that estimate the next backup of the same folder does not fit; nothing is written.
    const packs = await packFiles(work);
    await change(dir, 1);
    const before = await backupDir(await reopen(work), dir).catch((e: unknown) => e);
    expect(before).toMatchObject({ code: 'ERR_NO_SPACE', message: expect.stringMatching(/over its size limit of 500000 bytes .* no retention policy/) as string });
    expect(await packFiles(work)).toEqual(packs);

    // A first backup of another folder has no estimate: it is written, found over the limit, and removed again.
    const other = join(work, 'other');
    await writeFiles(other, 7, 10);
    const after = await backupDir(await reopen(work), other).catch((e: unknown) => e);
    expect(after).toMatchObject({ code: 'ERR_NO_SPACE', message: expect.stringMatching(/was removed again$/) as string });
    const fresh = await reopen(work);
    expect((await listSnapshots(fresh)).snapshots.map((s) => s.id)).toEqual([first.id]);
    expect(await repositorySize(fresh.backend)).toBeLessThanOrEqual(500_000);
    expect(await checkProblems(work)).toEqual([]);
    expect(await restoredHashes(fresh, first.id, 'tree')).toEqual(expected);
  });

  it('a percentage is of the filesystem holding the repository; no limit costs nothing', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    expect(await quotaLimit(repo)).toBeNull();
    expect((await enforceQuota(repo, { incoming: 1e15 })).limit).toBeNull();
    await updateConfig(repo, { maxSize: { percent: 50 } });
    const fs = await statfs(join(work, 'repo'));
    expect(await quotaLimit(await reopen(work))).toBe(Math.floor((fs.blocks * fs.bsize) / 2));
  });

  it('parseMaxSize reads bytes, binary units and percentages, and names what it refuses', () => {
    expect(parseMaxSize('1048576')).toEqual({ bytes: 1_048_576 });
    expect(parseMaxSize('500M')).toEqual({ bytes: 500 * 2 ** 20 });
    expect(parseMaxSize('2G')).toEqual({ bytes: 2 * 2 ** 30 });
    expect(parseMaxSize('1.5KiB')).toEqual({ bytes: 1536 });
    expect(parseMaxSize('80%')).toEqual({ percent: 80 });
    for (const bad of ['', '0', '-1', '12X', '150%', '0%', 'lots']) expect(() => parseMaxSize(bad), bad).toThrow(RangeError);
    expect(() => parseMaxSize('12X')).toThrow('"12X"');
  });

  it('updateConfig writes the settings into config and removes their keys again (older cairn can then open it)', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const original = await readFile(join(work, 'repo', 'config'), 'utf8');
    await updateConfig(repo, { maxSize: { bytes: 123_456 }, retention: { last: 3, within: { years: 1, months: 0, days: 0, hours: 0 }, daily: Infinity } });
    const stored = JSON.parse(await readFile(join(work, 'repo', 'config'), 'utf8')) as Record<string, unknown>;
    expect(stored['maxSize']).toEqual({ bytes: 123_456 });
    expect(stored['retention']).toEqual({ last: 3, daily: 'unlimited', within: '1y' });
    expect((await reopen(work)).config.retention).toEqual({ last: 3, daily: 'unlimited', within: '1y' });
    await updateConfig(await reopen(work), { maxSize: null, retention: null });
    expect(await readFile(join(work, 'repo', 'config'), 'utf8')).toBe(original);
    expect((await readFile(join(work, 'repo', 'config'), 'utf8')).includes('.tmp-')).toBe(false);
  });
});
