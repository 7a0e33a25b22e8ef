import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { backup, check, initRepository, openRepository, restore } from '@cairn/repository';
import { forget, prune } from '@cairn/repository/maintenance';
import type { Repository } from '@cairn/repository';
import { packFileName } from '@cairn/repository/testing';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { flipByte, seededBytes, tempDir } from './helpers.js';
import { deltaDepth } from '../src/repo/delta-chain.js';
import { createResemblanceIndex, RESEMBLANCE, sketch } from '../src/backup/resemblance.js';
import { findSnapshot } from '../src/repo/snapshots.js';

/** Text-like lines drawn from a seed (about 40 bytes each). */
function sourceText(lines: number, seed: number): string[] {
  const bytes = seededBytes(lines * 8 + 8, seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i += 1) out.push(`line ${i}: value ${bytes.readUInt32LE(i * 8).toString(36)} ${bytes.readUInt32LE(i * 8 + 4).toString(16)};`);
  return out;
}

/** A near-copy of `base`: `edits` lines replaced (salted), and `skip` lines dropped at the start (so its bytes shift). */
function nearCopy(base: readonly string[], edits: number, salt: number, skip = 0): string {
  const lines = base.slice(skip);
  for (let k = 1; k <= edits; k += 1) lines[(k * 7919 + salt * 104_729) % lines.length] = `edited ${k}.${salt}`;
  return `${lines.join('\n')}\n`;
}

// About 640 KB each: one chunk (the chunker's minimum is 512 KiB), long enough to be searched by resemblance (SIMILAR_MIN).
const TEXT = sourceText(18_000, 11);
const OTHER = sourceText(18_000, 99);

function deltas(repo: Repository): { id: Id; base: Id }[] {
  const found: { id: Id; base: Id }[] = [];
  for (const [id, location] of repo.index.entries()) if (location.base !== undefined) found.push({ id, base: location.base });
  return found;
}

async function chunkOf(repo: Repository, snapshotTree: Id, name: string): Promise<Id> {
  const root = await repo.loadTree(snapshotTree, 'root');
  const folder = await repo.loadTree(root[0]!.subtree!, 'src');
  return folder.find((node) => node.name === name)!.content![0]!;
}

async function sourceFolder(work: string): Promise<string> {
  const source = join(work, 'src');
  await mkdir(source, { recursive: true });
  return source;
}

/** a.txt, and b.txt and c.txt: near-copies of it (each a delta on a.txt's chunk in one backup). */
async function writeNearCopies(source: string): Promise<void> {
  await writeFile(join(source, 'a.txt'), nearCopy(TEXT, 0, 0));
  await writeFile(join(source, 'b.txt'), nearCopy(TEXT, 20, 1));
  await writeFile(join(source, 'c.txt'), nearCopy(TEXT, 20, 2));
}

describe('resemblance sketch', () => {
  it('a shifted near-copy shares most features and is found; unrelated text and random bytes are not', () => {
    const index = createResemblanceIndex();
    const a = Buffer.from(nearCopy(TEXT, 0, 0));
    const other = Buffer.from(nearCopy(OTHER, 0, 0));
    index.add(sketch(a), Buffer.alloc(32, 1));
    index.add(sketch(other), Buffer.alloc(32, 2));
    const b = sketch(Buffer.from(nearCopy(TEXT, 5, 1, 37)));
    expect(b.length).toBeGreaterThan(50);
    expect(toHex(index.candidate(b)!)).toBe(toHex(Buffer.alloc(32, 1)));
    expect(index.candidate(sketch(Buffer.from(nearCopy(sourceText(18_000, 12), 0, 0))))).toBeUndefined();
    expect(index.candidate(sketch(seededBytes(600_000, 5)))).toBeUndefined();
    // Short chunks are not sampled (they are grouped instead).
    expect(sketch(Buffer.from(nearCopy(TEXT, 0, 0)).subarray(0, RESEMBLANCE.minChunk - 1))).toEqual([]);
  });
});

describe('resemblance index bound', () => {
  it('holds at most maxFeatures (plus one chunk\'s): the oldest chunks are forgotten, the latest still found', () => {
    const index = createResemblanceIndex(10_000);
    const chunks = Array.from({ length: 40 }, (_, i) => sketch(seededBytes(RESEMBLANCE.minChunk, 100 + i)));
    const perChunk = Math.max(...chunks.map((features) => features.length));
    expect(perChunk).toBeGreaterThan(100);
    chunks.forEach((features, i) => {
      index.add(features, Buffer.alloc(32, i));
      expect(index.size).toBeLessThanOrEqual(10_000 + perChunk);
    });
    expect(index.size).toBeGreaterThan(10_000 - perChunk);
    expect(index.candidate(chunks[0]!), 'the first chunk is forgotten').toBeUndefined();
    expect(toHex(index.candidate(chunks[39]!)!)).toBe(toHex(Buffer.alloc(32, 39)));
  });

  it('chooses as the plain form of the index does (a list of ids per feature), through repeats, full features and forgetting', () => {
    // The plain form: every feature's latest RESEMBLANCE.perFeature ids, the oldest chunks forgotten past maxFeatures.
    const plainIndex = (maxFeatures: number): { add(features: readonly number[], id: Id): void; candidate(features: readonly number[]): Id | undefined } => {
      const byFeature = new Map<number, Id[]>();
      const order: { id: Id; features: number[] }[] = [];
      let size = 0;
      return {
        add(features, id) {
          const filed: number[] = [];
          for (const feature of new Set(features)) {
            const ids = byFeature.get(feature) ?? [];
            if (ids.length >= RESEMBLANCE.perFeature) ids.shift();
            ids.push(id);
            byFeature.set(feature, ids);
            filed.push(feature);
          }
          if (filed.length === 0) return;
          order.push({ id, features: filed });
          size += filed.length;
          while (size > maxFeatures && order.length > 1) {
            const gone = order.shift()!;
            for (const feature of gone.features) {
              const ids = byFeature.get(feature) ?? [];
              if (ids.includes(gone.id)) ids.splice(ids.indexOf(gone.id), 1);
              if (ids.length === 0) byFeature.delete(feature);
            }
            size -= gone.features.length;
          }
        },
        candidate(features) {
          const score = new Map<Id, number>();
          let best: Id | undefined;
          let bestScore = 0;
          for (const feature of new Set(features)) {
            for (const id of byFeature.get(feature) ?? []) {
              const n = (score.get(id) ?? 0) + 1;
              score.set(id, n);
              if (n > bestScore) [best, bestScore] = [id, n];
            }
          }
          return bestScore >= RESEMBLANCE.minShared && bestScore * RESEMBLANCE.minShareOf >= features.length ? best : undefined;
        },
      };
    };
    // Feature sets from a small alphabet, so features repeat within a chunk and fill their RESEMBLANCE.perFeature slots across chunks.
    const bytes = seededBytes(400 * 64 * 2, 7);
    const featureSet = (i: number): number[] => Array.from({ length: 8 + (i % 57) }, (_, k) => bytes.readUInt16LE(((i * 64 + k) * 2) % (bytes.length - 2)) % 300);
    for (const maxFeatures of [150, 1_000, 100_000]) {
      const index = createResemblanceIndex(maxFeatures);
      const plain = plainIndex(maxFeatures);
      let found = 0;
      for (let i = 0; i < 400; i += 1) {
        const features = featureSet(i);
        const expected = plain.candidate(features);
        expect(index.candidate(features), `lookup ${i} of maxFeatures ${maxFeatures}`).toBe(expected);
        if (expected !== undefined) found += 1;
        const id = Buffer.alloc(32, i % 256);
        index.add(features, id);
        plain.add(features, id);
      }
      expect(found, 'the lookups found chunks').toBeGreaterThan(20);
    }
  });
});

describe('deltas across files of one backup', () => {
  it('stores the second of two near-copy files (no parent) as a delta on the first; restore and check --read-data are exact', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir));
    await writeFile(join(source, 'a.txt'), nearCopy(TEXT, 0, 0));
    await writeFile(join(source, 'b.txt'), nearCopy(TEXT, 20, 1, 11));
    const result = await backup(repo, { source: createLocalSource(), paths: [source] });
    const { snapshot } = await findSnapshot(repo, result.id);
    const a = await chunkOf(repo, snapshot.tree, 'a.txt');
    const b = await chunkOf(repo, snapshot.tree, 'b.txt');
    const found = deltas(repo);
    expect(found.map(({ id, base }) => [toHex(id), toHex(base)])).toEqual([[toHex(b), toHex(a)]]);
    const location = repo.index.lookup(b)!;
    expect(location.length * 10).toBeLessThan(repo.index.lookup(a)!.length); // 20 edited lines against 640 KB
    expect(deltaDepth(repo.index, b)).toBe(1);

    const reopened = await openRepository(createLocalBackend(repoDir));
    const out = join(work, 'out');
    expect((await restore(reopened, result.id, { target: createLocalTarget(out) })).problems).toEqual([]);
    expect(await readFile(join(out, 'src', 'a.txt'), 'utf8')).toBe(nearCopy(TEXT, 0, 0));
    expect(await readFile(join(out, 'src', 'b.txt'), 'utf8')).toBe(nearCopy(TEXT, 20, 1, 11));
    expect((await check(reopened, { readData: true })).problems).toEqual([]);

    // --no-delta stores both whole.
    const plain = await initRepository(createLocalBackend(join(work, 'plain')));
    await backup(plain, { source: createLocalSource(), paths: [source], deltas: false });
    expect(deltas(plain)).toEqual([]);
  });

  it('a near-copy found after more new data than the ring of bases holds is still a delta on it: from the pack not yet written, or read back once written', async () => {
    // Packs of 64 MiB: the base is in the open pack when its near-copy comes; of 256 KiB: in a written one.
    for (const packSize of [64 * 1024 * 1024, 256 * 1024]) {
      const work = await tempDir();
      const source = await sourceFolder(work);
      const repo = await initRepository(createLocalBackend(join(work, 'repo')), { packSize });
      await writeFile(join(source, 'a.txt'), nearCopy(TEXT, 0, 0));
      // 16 files of 640 KB that resemble nothing (10 MB, more than the ring's 8 MiB), walked between the two.
      for (let i = 0; i < 16; i += 1) await writeFile(join(source, `m${String(i).padStart(2, '0')}.bin`), seededBytes(640 * 1024, 1000 + i));
      await writeFile(join(source, 'z.txt'), nearCopy(TEXT, 20, 1, 11));
      const result = await backup(repo, { source: createLocalSource(), paths: [source] });
      const { snapshot } = await findSnapshot(repo, result.id);
      const a = await chunkOf(repo, snapshot.tree, 'a.txt');
      const z = await chunkOf(repo, snapshot.tree, 'z.txt');
      expect(deltas(repo).map(({ id, base }) => [toHex(id), toHex(base)]), `packs of ${packSize} bytes`).toEqual([[toHex(z), toHex(a)]]);
      expect((await check(repo, { readData: true })).problems).toEqual([]);
      const out = join(work, 'out');
      expect((await restore(repo, result.id, { target: createLocalTarget(out) })).problems).toEqual([]);
      expect(await readFile(join(out, 'src', 'z.txt'), 'utf8')).toBe(nearCopy(TEXT, 20, 1, 11));
    }
  });

  it('a later version of a file stored as a delta on another file stands on it (two deltas deep at most)', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    await writeFile(join(source, 'a.txt'), nearCopy(TEXT, 0, 0));
    await writeFile(join(source, 'b.txt'), nearCopy(TEXT, 20, 1));
    const first = await backup(repo, { source: createLocalSource(), paths: [source] });
    const ids = [first.id];
    for (let v = 2; v <= 4; v += 1) {
      await writeFile(join(source, 'b.txt'), nearCopy(TEXT, 20 + v, 1));
      ids.push((await backup(repo, { source: createLocalSource(), paths: [source] })).id);
    }
    const b1 = await chunkOf(repo, (await findSnapshot(repo, ids[0]!)).snapshot.tree, 'b.txt');
    for (const [v, id] of ids.entries()) {
      const chunk = await chunkOf(repo, (await findSnapshot(repo, id)).snapshot.tree, 'b.txt');
      expect(deltaDepth(repo.index, chunk)).toBe(v === 0 ? 1 : 2);
      const location = repo.index.lookup(chunk)!;
      // Each later version stands on b's first version (a delta on a), not on a: a few lines' delta.
      if (v > 0) expect(toHex(location.base!)).toBe(toHex(b1));
      expect(location.length * 20).toBeLessThan(location.rawLength);
      const out = join(work, `out-${v}`);
      expect((await restore(repo, id, { target: createLocalTarget(out) })).problems).toEqual([]);
      expect(await readFile(join(out, 'src', 'b.txt'), 'utf8')).toBe(nearCopy(TEXT, 20 + (v === 0 ? 0 : v + 1), 1));
    }
  });

  it('a base forgotten and pruned while deltas of other files depend on it: prune keeps it, nothing is lost', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir));
    await writeNearCopies(source);
    await writeFile(join(source, 'noise.bin'), seededBytes(300_000, 1));
    const first = await backup(repo, { source: createLocalSource(), paths: [source] });
    const a = await chunkOf(repo, (await findSnapshot(repo, first.id)).snapshot.tree, 'a.txt');
    expect(deltas(repo).map(({ base }) => toHex(base))).toEqual([toHex(a), toHex(a)]);
    // a.txt is gone from the second snapshot; b and c are unchanged (their deltas reused as they are).
    await rm(join(source, 'a.txt'));
    await writeFile(join(source, 'noise.bin'), seededBytes(300_000, 2));
    const second = await backup(repo, { source: createLocalSource(), paths: [source] });
    await forget(repo, { snapshots: [first.id] });
    const pruned = await prune(repo, { maxUnused: 0, graceMs: 0 });
    expect(pruned.deleted.packs + pruned.marked.repacked.packs).toBeGreaterThan(0); // the forgotten noise went
    const reopened = await openRepository(createLocalBackend(repoDir));
    expect(reopened.index.lookup(a), 'the base of b and c').toBeDefined();
    const out = join(work, 'out');
    expect((await restore(reopened, second.id, { target: createLocalTarget(out) })).problems).toEqual([]);
    expect(await readFile(join(out, 'src', 'b.txt'), 'utf8')).toBe(nearCopy(TEXT, 20, 1));
    expect(await readFile(join(out, 'src', 'c.txt'), 'utf8')).toBe(nearCopy(TEXT, 20, 2));
    expect(await readFile(join(out, 'src', 'noise.bin'))).toEqual(seededBytes(300_000, 2));
    expect((await check(reopened, { readData: true })).problems).toEqual([]);
  });

  it('a corrupted base names every file standing on it in restore and check --read-data; the rest restores', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir));
    await writeNearCopies(source);
    await writeFile(join(source, 'other.txt'), nearCopy(OTHER, 0, 0));
    const result = await backup(repo, { source: createLocalSource(), paths: [source] });
    const a = await chunkOf(repo, (await findSnapshot(repo, result.id)).snapshot.tree, 'a.txt');
    const found = deltas(repo);
    expect(found.map(({ base }) => toHex(base))).toEqual([toHex(a), toHex(a)]);
    const location = repo.index.lookup(a)!;
    await flipByte(join(repoDir, packFileName(location.packId)), location.offset + Math.floor(location.length / 2));

    const reopened = await openRepository(createLocalBackend(repoDir));
    const out = join(work, 'out');
    const restored = await restore(reopened, result.id, { target: createLocalTarget(out) });
    expect(restored.problems.map((p) => p.path).sort()).toEqual(['src/a.txt', 'src/b.txt', 'src/c.txt']);
    for (const problem of restored.problems.filter((p) => p.path !== 'src/a.txt')) expect(problem.message).toContain(`base data blob ${toHex(a)}`);
    expect(await readFile(join(out, 'src', 'other.txt'), 'utf8')).toBe(nearCopy(OTHER, 0, 0));
    const checked = await check(reopened, { readData: true });
    const text = checked.problems.map((p) => p.message).join('\n');
    expect(text).toContain(toHex(a));
    for (const d of found) expect(text).toContain(toHex(d.id));
  });

  it('an interrupted backup leaves no delta whose base is missing (small packs, stopped part-way)', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir), { packSize: 16 * 1024 });
    // Pairs of a new text and its near-copy: each near-copy's delta waits for its base to be written
    // (the base goes through the compression queue, 4 MiB batches), so some are written before the stop, some held.
    for (let i = 0; i < 20; i += 1) {
      const text = sourceText(18_000, 1000 + i);
      await writeFile(join(source, `g${String(i).padStart(2, '0')}a.txt`), nearCopy(text, 0, 0));
      await writeFile(join(source, `g${String(i).padStart(2, '0')}b.txt`), nearCopy(text, 200, i));
    }
    const controller = new AbortController();
    let files = 0;
    await expect(backup(repo, {
      source: createLocalSource(),
      paths: [source],
      threads: 0, // compressed as queued: each base is written within the next few files
      signal: controller.signal,
      onEntry: () => {
        files += 1;
        if (files === 36) controller.abort();
      },
    })).rejects.toThrow();
    const reopened = await openRepository(createLocalBackend(repoDir));
    const found = deltas(reopened);
    expect(found.length).toBeGreaterThan(0); // deltas written before the stop were indexed
    for (const { id, base } of found) expect(reopened.index.lookup(base), `base of ${toHex(id)}`).toBeDefined();
    expect((await check(reopened, { readData: true })).problems).toEqual([]);
  });
});
