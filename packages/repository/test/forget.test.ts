import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, listSnapshots } from '@cairn/repository';
import { forget } from '@cairn/repository/maintenance';
import type { Repository } from '@cairn/repository';
import { createLocalSource } from '@cairn/transport';
import { tempDir } from './helpers.js';
import { packFiles, repoFiles, smallRepo, writeFiles } from './lifecycle-helpers.js';

/** Six snapshots: x on host one at days 1..4 (day 2 tagged "keep"), y on host one at day 2, x on host two at day 3. */
async function timeline() {
  const work = await tempDir();
  const repo = await smallRepo(work);
  await writeFiles(join(work, 'x'), 1, 2, 2000);
  await writeFiles(join(work, 'y'), 2, 2, 2000);
  const take = async (dir: string, day: number, host: string, tags: string[] = []): Promise<string> =>
    (await backup(repo, { source: createLocalSource(), paths: [join(work, dir)], hostname: host, tags, time: new Date(Date.UTC(2024, 0, day, 12)) })).id;
  const ids = {
    x1: await take('x', 1, 'one'),
    x2: await take('x', 2, 'one', ['keep']),
    x3: await take('x', 3, 'one'),
    x4: await take('x', 4, 'one'),
    y2: await take('y', 2, 'one'),
    two3: await take('x', 3, 'two'),
  };
  return { work, repo, ids };
}

async function remaining(repo: Repository): Promise<string[]> {
  return (await listSnapshots(repo)).snapshots.map((s) => s.id).sort();
}

describe('forget', () => {
  it('applies the policy to each host+paths group, removes only snapshot files, and says why each is kept', async () => {
    const { work, repo, ids } = await timeline();
    const packs = await packFiles(work);
    const result = await forget(repo, { policy: { last: 1, tags: [['keep']] }, timeZone: 'utc' });
    expect(result.policy).toBe('keep 1 latest snapshots and all snapshots with tags [keep]');
    expect(result.groups.map((g) => [g.key, g.keep.map((k) => [k.entry.id, k.reasons]), g.remove.map((e) => e.id)])).toEqual([
      [{ hostname: 'one', paths: [join(work, 'x')] }, [[ids.x4, ['last snapshot']], [ids.x2, ['has tags [keep]']]], [ids.x3, ids.x1]],
      [{ hostname: 'one', paths: [join(work, 'y')] }, [[ids.y2, ['last snapshot']]], []],
      [{ hostname: 'two', paths: [join(work, 'x')] }, [[ids.two3, ['last snapshot']]], []],
    ]);
    expect(result.removed.sort()).toEqual([ids.x1, ids.x3].sort());
    expect(await remaining(repo)).toEqual([ids.x2, ids.x4, ids.y2, ids.two3].sort());
    expect(await packFiles(work)).toEqual(packs); // data stays until prune
  });

  it('--dry-run decides but removes nothing', async () => {
    const { repo, ids } = await timeline();
    const result = await forget(repo, { policy: { last: 1 }, groupBy: [], dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.removed).toEqual([]);
    expect(result.groups).toHaveLength(1);
    expect(result.groups[0]?.keep.map((k) => k.entry.id)).toEqual([ids.x4]);
    expect(await remaining(repo)).toHaveLength(6);
  });

  it('filters by host, tag and path before grouping', async () => {
    const { work, repo, ids } = await timeline();
    await forget(repo, { policy: { last: 1 }, hosts: ['one'], paths: [join(work, 'x')] });
    expect(await remaining(repo)).toEqual([ids.x4, ids.y2, ids.two3].sort());
  });

  it('refuses an empty policy, and a policy that would forget a whole group, unless told to remove all (with a filter)', async () => {
    const { repo, ids } = await timeline();
    await expect(forget(repo, {})).rejects.toThrow(/no policy given .* refusing to forget every snapshot/);
    await expect(forget(repo, { policy: { last: 0 } })).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(forget(repo, { policy: { tags: [['keep']] } })).rejects.toThrow(/the policy keeps none of the 1 snapshots of host one, paths .*y: refusing to forget them all/);
    await expect(forget(repo, { allowRemoveAll: true })).rejects.toThrow(/removing every snapshot needs a filter/);
    expect(await remaining(repo)).toHaveLength(6);
    const gone = await forget(repo, { allowRemoveAll: true, hosts: ['two'] });
    expect(gone.removed).toEqual([ids.two3]);
    expect(await remaining(repo)).toHaveLength(5);
  });

  it('forgets snapshots named by id or unique prefix; an unknown prefix is ERR_NOT_FOUND; ids and a policy do not mix', async () => {
    const { work, repo, ids } = await timeline();
    const result = await forget(repo, { snapshots: [ids.x1, ids.y2.slice(0, 10)] });
    expect(result.removed.sort()).toEqual([ids.x1, ids.y2].sort());
    expect(await repoFiles(work, 'snapshots')).toHaveLength(4);
    await expect(forget(repo, { snapshots: [ids.x1] })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(forget(repo, { snapshots: [ids.x3], policy: { last: 1 } })).rejects.toThrow(/either snapshot ids or a --keep-\* policy, not both/);
    expect(await repoFiles(work, 'snapshots')).toHaveLength(4);
  });
});
