import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { backup, createSnapshotCache, describeFilter, findSnapshot, listSnapshots, matchesFilter, restore } from '@cairn/repository';
import { changeTags, tagSnapshots } from '@cairn/repository/maintenance';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { describeTree, tempDir } from './helpers.js';
import { smallRepo, writeFiles } from './lifecycle-helpers.js';

describe('snapshot filter (which snapshot latest is)', () => {
  const s = { hostname: 'laptop', paths: ['/a', '/b'], tags: ['daily', 'web'] };

  it('hosts: any of them; paths: the snapshot includes all; tags: every tag of one of the lists, [""] untagged', () => {
    expect(matchesFilter(s, {})).toBe(true);
    expect(matchesFilter(s, { hosts: ['desk', 'laptop'] })).toBe(true);
    expect(matchesFilter(s, { hosts: ['desk'] })).toBe(false);
    expect(matchesFilter(s, { paths: ['/a'] })).toBe(true);
    expect(matchesFilter(s, { paths: ['/a', '/b'] })).toBe(true);
    expect(matchesFilter(s, { paths: ['/a', '/c'] })).toBe(false);
    expect(matchesFilter(s, { tags: [['daily', 'web']] })).toBe(true);
    expect(matchesFilter(s, { tags: [['daily', 'x']] })).toBe(false);
    expect(matchesFilter(s, { tags: [['daily', 'x'], ['web']] })).toBe(true);
    expect(matchesFilter(s, { tags: [['']] })).toBe(false);
    expect(matchesFilter({ ...s, tags: [] }, { tags: [['']] })).toBe(true);
    expect(describeFilter({ hosts: ['a', 'b'], paths: ['/x'], tags: [['t', 'u'], ['']] })).toBe('host a or b, path /x, tags t,u or (none)');
  });

  it('findSnapshot: latest is the newest that passes; a named snapshot must pass; none passing is ERR_NOT_FOUND', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await writeFiles(join(work, 'x'), 1, 2, 2000);
    await writeFiles(join(work, 'y'), 2, 2, 2000);
    const take = async (dir: string, day: number, hostname: string, tags: string[] = []): Promise<string> =>
      (await backup(repo, { source: createLocalSource(), paths: [join(work, dir)], hostname, tags, time: new Date(Date.UTC(2024, 0, day, 12)) })).id;
    const x1 = await take('x', 1, 'one', ['keep']);
    const y2 = await take('y', 2, 'one');
    const x3 = await take('x', 3, 'two');
    expect((await findSnapshot(repo, 'latest')).id).toBe(x3);
    expect((await findSnapshot(repo, 'latest', { filter: { paths: [join(work, 'x')], hosts: ['one'] } })).id).toBe(x1);
    expect((await findSnapshot(repo, 'latest', { filter: { hosts: ['one'] } })).id).toBe(y2);
    expect((await findSnapshot(repo, 'latest', { filter: { tags: [['keep']] } })).id).toBe(x1);
    expect((await findSnapshot(repo, y2.slice(0, 8), { filter: { hosts: ['one'] } })).id).toBe(y2);
    await expect(findSnapshot(repo, y2, { filter: { hosts: ['two'] } })).rejects.toThrow(`snapshot ${y2.slice(0, 8)} does not match host two`);
    const none = await findSnapshot(repo, 'latest', { filter: { hosts: ['three'] } }).catch((error: unknown) => error);
    expect(isCairnError(none, 'ERR_NOT_FOUND')).toBe(true);
  });
});

describe('tagSnapshots', () => {
  it('changeTags: set replaces, add appends what is missing, remove drops; empty tags and set with add are RangeErrors', () => {
    expect(changeTags(['a', 'b'], { add: ['b', 'c'] })).toEqual(['a', 'b', 'c']);
    expect(changeTags(['a', 'b'], { remove: ['a'], add: ['d'] })).toEqual(['b', 'd']);
    expect(changeTags(['a'], { set: ['x', 'x', 'y'] })).toEqual(['x', 'y']);
    expect(changeTags(['a'], { set: [] })).toEqual([]);
    expect(() => changeTags([], { add: [''] })).toThrow(RangeError);
    expect(() => changeTags([], { set: ['a'], add: ['b'] })).toThrow(RangeError);
  });

  it('rewrites only snapshots whose tags change, with every other field kept; a dry run writes nothing; the data restores the same', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await writeFiles(join(work, 'x'), 1, 3, 5000);
    const first = (await backup(repo, { source: createLocalSource(), paths: [join(work, 'x')], tags: ['a'] })).id;
    const original = (await findSnapshot(repo, first)).snapshot;
    const ids = async (): Promise<string[]> => (await listSnapshots(repo)).snapshots.map((e) => e.id);

    const dry = await tagSnapshots(repo, { snapshots: [first], add: ['b'], dryRun: true });
    expect(dry.rewritten).toEqual([{ oldId: first, newId: null, tags: ['a', 'b'] }]);
    expect(await ids()).toEqual([first]);

    const same = await tagSnapshots(repo, { snapshots: ['latest'], add: ['a'] });
    expect(same).toEqual({ rewritten: [], unchanged: [first], dryRun: false });

    const done = await tagSnapshots(repo, { filter: { tags: [['a']] }, add: ['b'] });
    const newId = done.rewritten[0]?.newId ?? '';
    expect(await ids()).toEqual([newId]);
    const entry = await findSnapshot(repo, newId);
    expect(entry.snapshot.tags).toEqual(['a', 'b']);
    expect({ ...entry.snapshot, tags: ['a'] }).toEqual(original);
    const out = join(work, 'out');
    await restore(repo, newId, { target: createLocalTarget(out) });
    expect(await describeTree(join(out, 'x'))).toEqual(await describeTree(join(work, 'x')));

    const missing = await tagSnapshots(repo, { snapshots: [newId, 'ffffffff'], add: ['c'] }).catch((error: unknown) => error);
    expect(isCairnError(missing, 'ERR_NOT_FOUND')).toBe(true);
    const nothing = await tagSnapshots(repo, { snapshots: [newId] }).catch((error: unknown) => error);
    expect(isCairnError(nothing, 'ERR_USAGE')).toBe(true);
    expect(await ids()).toEqual([newId]);
  });
});

describe('createSnapshotCache (a process that lists snapshots again and again)', () => {
  it('lists as listSnapshots does, reads each file once, shares a listing between concurrent calls, sees new and removed files, and retries a damaged one', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await writeFiles(join(work, 'x'), 1, 2, 2000);
    const ids: string[] = [];
    for (let day = 1; day <= 40; day += 1) {
      ids.push((await backup(repo, { source: createLocalSource(), paths: [join(work, 'x')], hostname: 'h', time: new Date(Date.UTC(2024, 0, day)) })).id);
    }
    let reads = 0;
    // The first read of the snapshot file named `held` waits until `release` is called.
    let held = '';
    let holding = false;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const read = repo.backend.read.bind(repo.backend);
    repo.backend.read = async (type, name, range, hint) => {
      if (type === 'snapshot') reads += 1;
      if (type === 'snapshot' && name === held && !holding) {
        holding = true;
        await gate;
      }
      return read(type, name, range, hint);
    };
    const cache = createSnapshotCache(repo);
    const [a, b, b2] = await Promise.all([cache.list(), cache.list(), cache.list()]);
    expect(b).toBe(b2); // the calls made while a listing runs share the next one
    expect(reads).toBe(40); // and it reads nothing the first one read
    expect(b.snapshots.map((e) => e.id)).toEqual(a.snapshots.map((e) => e.id));
    expect(a.snapshots.map((e) => e.id)).toEqual(ids); // oldest first, as listSnapshots
    expect(a.snapshots.map((e) => e.id)).toEqual((await listSnapshots(repo)).snapshots.map((e) => e.id));
    // A call made after a snapshot was written sees it, even while an older listing still runs.
    held = (await backup(repo, { source: createLocalSource(), paths: [join(work, 'x')], hostname: 'h', time: new Date(Date.UTC(2024, 1, 15)) })).id;
    const running = cache.list(); // stops at its read of `held`
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(holding).toBe(true);
    const written = (await backup(repo, { source: createLocalSource(), paths: [join(work, 'x')], hostname: 'h', time: new Date(Date.UTC(2024, 1, 20)) })).id;
    const after = cache.list();
    release();
    expect((await running).snapshots.map((e) => e.id)).not.toContain(written);
    expect((await after).snapshots.map((e) => e.id)).toContain(written);
    ids.push(held, written);
    reads = 0;
    await cache.list();
    const later = (await backup(repo, { source: createLocalSource(), paths: [join(work, 'x')], hostname: 'h', time: new Date(Date.UTC(2024, 2, 1)) })).id;
    await repo.backend.remove('snapshot', ids[0]!);
    const damaged = ids[1]!;
    await writeFile(join(work, 'repo', 'snapshots', damaged), 'not a snapshot');
    const c = await cache.list();
    // Listing 40 files again read only the new one: the damaged file was read before and is kept as read.
    expect(c.snapshots.map((e) => e.id)).toEqual([...ids.slice(1), later]);
    const fresh = createSnapshotCache(repo);
    const d = await fresh.list();
    expect(d.snapshots.map((e) => e.id)).toEqual([...ids.slice(2), later]);
    expect(d.problems.map((p) => p.file)).toEqual([`snapshots/${damaged}`]);
    reads = 0;
    await fresh.list();
    expect(reads).toBe(1); // the damaged file is tried again, the others not
  });
});

describe('listSnapshots (what a backup looks for its parent in)', () => {
  it('reads several snapshot files at once: a slow one holds up none of the others; oldest first, a damaged file listed as a problem', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await writeFiles(join(work, 'x'), 1, 2, 2000);
    const ids: string[] = [];
    for (let day = 1; day <= 30; day += 1) {
      ids.push((await backup(repo, { source: createLocalSource(), paths: [join(work, 'x')], hostname: 'h', time: new Date(Date.UTC(2024, 0, day)) })).id);
    }
    const damaged = ids[7]!;
    await writeFile(join(work, 'repo', 'snapshots', damaged), 'not a snapshot');
    let started = 0;
    let held = false;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const read = repo.backend.read.bind(repo.backend);
    repo.backend.read = async (type, name, range, hint) => {
      if (type === 'snapshot') {
        started += 1;
        if (!held) {
          held = true; // the first snapshot file read waits until released
          await gate;
        }
      }
      return read(type, name, range, hint);
    };
    const listing = listSnapshots(repo);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toBe(30); // every other file was read while the first waited
    release();
    const { snapshots, problems } = await listing;
    expect(snapshots.map((entry) => entry.id)).toEqual(ids.filter((id) => id !== damaged));
    expect(problems.map((problem) => problem.file)).toEqual([`snapshots/${damaged}`]);
    expect(problems[0]?.error.code).toBe('ERR_INTEGRITY');
  });
});
