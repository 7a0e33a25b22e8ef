import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import { backup, check, copySnapshots, COPIED_TREE, initRepository, listSnapshots, openRepository, restore } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { buildSampleTree, describeTree, flipByte, seededBytes, tempDir } from './helpers.js';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';

const FAST = { N: 1024, r: 8, p: 1 };

async function repoAt(dir: string, password?: string): Promise<Repository> {
  return initRepository(createLocalBackend(dir), password === undefined ? {} : { password, kdf: FAST });
}

async function reopen(dir: string, password?: string): Promise<Repository> {
  return openRepository(createLocalBackend(dir), password === undefined ? {} : { password: async () => password });
}

async function packCount(dir: string): Promise<number> {
  let n = 0;
  for (const sub of await readdir(join(dir, 'data'))) n += (await readdir(join(dir, 'data', sub))).length;
  return n;
}

describe('copySnapshots', () => {
  for (const [from, to] of [[undefined, undefined], [undefined, 'to-pw'], ['from-pw', undefined], ['from-pw', 'to-pw']] as const) {
    const name = `${from === undefined ? 'plain' : 'encrypted'} → ${to === undefined ? 'plain' : 'encrypted'}`;
    it(`copies snapshots ${name}: restores byte-exact, checks clean with --read-data, and a second copy adds nothing`, async () => {
      const work = await tempDir();
      const tree = join(work, 'tree');
      await buildSampleTree(tree, { bigFileSize: 3 * 1024 * 1024 });
      const source = await repoAt(join(work, 'src'), from);
      const first = await backup(source, { source: createLocalSource(), paths: [tree], tags: ['a'], hostname: 'h1' });
      await writeFile(join(tree, 'more.bin'), seededBytes(500_000, 9));
      const second = await backup(source, { source: createLocalSource(), paths: [tree], tags: ['b'], hostname: 'h1' });
      const dest = await repoAt(join(work, 'dst'), to);

      const result = await copySnapshots(await reopen(join(work, 'src'), from), dest, { threads: 0 });
      expect(result.copied.map((c) => c.source)).toEqual([first.id, second.id]);
      expect(result.failed).toEqual([]);
      expect(result.idsAlike).toBe(from === undefined && to === undefined);
      expect(result.chunkerDiffers).toBe(false);
      expect(result.dataBlobsAdded).toBeGreaterThan(0);
      // Pack files are copied as they are only between two unencrypted repositories.
      expect(result.packsCopiedWhole > 0).toBe(from === undefined && to === undefined);
      if (result.idsAlike) expect(result.copied.map((c) => c.destination)).toEqual([first.id, second.id]);

      const again = await reopen(join(work, 'dst'), to);
      const out = join(work, 'out');
      const restored = await restore(again, result.copied[1]!.destination, { target: createLocalTarget(out) });
      expect(restored.problems).toEqual([]);
      expect([...(await describeTree(join(out, 'tree'))).entries()]).toEqual([...(await describeTree(tree)).entries()]);
      const checked = await check(again, { readData: true });
      expect(checked.problems).toEqual([]);
      const snapshots = (await listSnapshots(again)).snapshots;
      expect(snapshots.map((s) => s.snapshot.tags)).toEqual([['a'], ['b']]);
      if (!result.idsAlike) expect(snapshots[0]!.snapshot.meta[COPIED_TREE]).toBe(toHex(first.snapshot.tree));

      const packs = await packCount(join(work, 'dst'));
      const twice = await copySnapshots(await reopen(join(work, 'src'), from), again, { threads: 0 });
      expect(twice.copied).toEqual([]);
      expect(twice.skipped.map((s) => s.destination)).toEqual(result.copied.map((c) => c.destination));
      expect(twice.dataBlobsAdded + twice.treeBlobsAdded + twice.bytesRead).toBe(0);
      expect(await packCount(join(work, 'dst'))).toBe(packs);
      expect((await listSnapshots(again)).snapshots).toHaveLength(2);
    }, 60_000);
  }

  it('keeps deduplication: a copy into a repository holding the same data adds only the new blobs', async () => {
    const work = await tempDir();
    const tree = join(work, 'tree');
    await buildSampleTree(tree, { bigFileSize: 2 * 1024 * 1024 });
    const source = await repoAt(join(work, 'src'));
    await backup(source, { source: createLocalSource(), paths: [tree], hostname: 'h1' });
    const dest = await repoAt(join(work, 'dst'));
    await backup(dest, { source: createLocalSource(), paths: [tree], hostname: 'other' });
    await writeFile(join(tree, 'new.bin'), seededBytes(300_000, 11));
    await backup(source, { source: createLocalSource(), paths: [tree], hostname: 'h1' });
    const result = await copySnapshots(source, dest, { threads: 0, filter: { hosts: ['h1'] }, snapshots: ['latest'] });
    expect(result.copied).toHaveLength(1);
    // Only new.bin's blob is new to the destination (plus the trees above it).
    expect(result.dataBlobsAdded).toBe(1);
    expect(result.bytesRead).toBe(300_000);
  }, 60_000);

  for (const encrypted of [false, true]) {
    it(`refuses damage in the ${encrypted ? 'encrypted' : 'unencrypted'} source by name and copies nothing of that snapshot`, async () => {
      const work = await tempDir();
      const tree = join(work, 'tree');
      await buildSampleTree(tree, { bigFileSize: 2 * 1024 * 1024 });
      const password = encrypted ? 'pw' : undefined;
      const source = await repoAt(join(work, 'src'), password);
      await backup(source, { source: createLocalSource(), paths: [tree] });
      // The largest pack holds the big file's data: one byte of it flipped.
      const packs: { path: string; size: number }[] = [];
      for (const sub of await readdir(join(work, 'src', 'data'))) {
        for (const name of await readdir(join(work, 'src', 'data', sub))) {
          const path = join(work, 'src', 'data', sub, name);
          packs.push({ path, size: (await stat(path)).size });
        }
      }
      const largest = packs.sort((a, b) => b.size - a.size)[0]!;
      await flipByte(largest.path, Math.floor(largest.size / 2));
      const dest = await repoAt(join(work, 'dst'));
      const result = await copySnapshots(await reopen(join(work, 'src'), password), dest, { threads: 0 });
      expect(result.copied).toEqual([]);
      expect(result.failed).toHaveLength(1);
      expect(result.failed[0]!.code).toBe('ERR_INTEGRITY');
      expect(result.failed[0]!.message).toContain(largest.path.split('/').at(-1)!);
      expect((await listSnapshots(await reopen(join(work, 'dst')))).snapshots).toEqual([]);
    }, 60_000);
  }
});

describe('copySnapshots of delta blobs', () => {
  it('copies snapshots whose chunks are deltas (into a plain and an encrypted repository): their bases are read through the source, each restores byte-exact, check --read-data is clean', async () => {
    const work = await tempDir();
    const tree = join(work, 'tree');
    await mkdir(tree, { recursive: true });
    const lines = Array.from({ length: 4000 }, (_, i) => `line ${i}: ${seededBytes(12, i).toString('hex')};`);
    const source = await repoAt(join(work, 'src'));
    const versions: { id: string; text: string }[] = [];
    for (let v = 0; v < 3; v += 1) {
      if (v > 0) lines[v * 977] = `edited in version ${v}`;
      const text = `${lines.join('\n')}\n`;
      await writeFile(join(tree, 'file.txt'), text);
      versions.push({ id: (await backup(source, { source: createLocalSource(), paths: [tree], time: new Date(Date.UTC(2026, 0, 1 + v)) })).id, text });
    }
    const deltasIn = (repo: Repository): number => [...repo.index.entries()].filter(([, location]) => location.codec === 'delta').length;
    expect(deltasIn(await reopen(join(work, 'src')))).toBe(2);
    for (const password of [undefined, 'to-pw']) {
      const dir = join(work, `dst-${password ?? 'plain'}`);
      await repoAt(dir, password);
      const result = await copySnapshots(await reopen(join(work, 'src')), await reopen(dir, password), { threads: 0 });
      expect(result.failed).toEqual([]);
      expect(result.copied.map((c) => c.source)).toEqual(versions.map((v) => v.id));
      const dest = await reopen(dir, password);
      // Into a plain repository each pack is copied as it is, deltas kept (each base is in an
      // earlier snapshot's pack, copied before); into an encrypted one every blob is stored whole.
      expect(deltasIn(dest)).toBe(password === undefined ? 2 : 0);
      expect(result.packsCopiedWhole > 0).toBe(password === undefined);
      for (const [i, copied] of result.copied.entries()) {
        const out = join(work, `out-${password ?? 'plain'}-${i}`);
        expect((await restore(dest, copied.destination, { target: createLocalTarget(out) })).problems).toEqual([]);
        expect(await readFile(join(out, 'tree', 'file.txt'), 'utf8')).toBe(versions[i]!.text);
      }
      expect((await check(dest, { readData: true })).problems).toEqual([]);
    }
  }, 60_000);
});
