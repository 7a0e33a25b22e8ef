import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import type { Target } from '@cairn/core';
import { backup, restore } from '@cairn/repository';
import type { RestoreAction } from '@cairn/repository';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { RESTORE_LIMITS, writeByPosition } from '../src/restore/file-writer.js';
import type { WriterLimits } from '../src/restore/file-writer.js';
import { RestoreContext } from '../src/restore/restore-context.js';
import { planRestore } from '../src/restore/restore-plan.js';
import { findSnapshot } from '../src/repo/snapshots.js';
import { describeTree } from './helpers.js';
import { backedUpTree, contentReads, fileContents, openCounting, tempFilesBelow } from './restore-fixture.js';

describe('restore by pack (Target.createFile)', () => {
  it('restores the tree byte for byte with modes, mtimes, links and the right counts', async () => {
    const { work, source, repoDir, snapshotId } = await backedUpTree();
    const { repo } = await openCounting(repoDir);
    const contents = await fileContents(repo, snapshotId);
    // The layout the test is about: a file over several packs, a repeated chunk, shared chunks.
    const packsOf = (path: string): Set<string> => new Set((contents.get(path) ?? []).map((id) => toHex(repo.index.lookup(id)!.packId)));
    expect(packsOf('tree/big.bin').size).toBeGreaterThanOrEqual(5);
    const repeat = (contents.get('tree/repeat.bin') ?? []).map(toHex);
    expect(new Set(repeat).size).toBeLessThan(repeat.length);
    const a = new Set((contents.get('tree/shared-a.bin') ?? []).map(toHex));
    expect((contents.get('tree/nested/shared-b.bin') ?? []).filter((id) => a.has(toHex(id))).length).toBeGreaterThan(5);

    const target = createLocalTarget(join(work, 'out'));
    expect(typeof target.createFile).toBe('function');
    const actions: RestoreAction[] = [];
    const result = await restore(repo, snapshotId, { target, onAction: (action) => actions.push(action) });
    expect(result.problems).toEqual([]);
    expect([...(await describeTree(join(work, 'out', 'tree'))).entries()]).toEqual([...(await describeTree(source)).entries()]);
    // 40 small files + big, repeat, shared-a, shared-b, empty, empty-too, text, leaf, hard-1, run.sh; hard-2 is a link.
    expect(result).toMatchObject({ files: 50, hardlinks: 1, symlinks: 2, dirs: 5, skipped: 0 });
    const sizes = actions.filter((x) => x.type === 'file' && x.action !== 'link').reduce((sum, x) => sum + x.size, 0);
    expect(result.bytesWritten).toBe(sizes);
    expect(actions.filter((x) => x.action === 'link').map((x) => x.path)).toEqual(['tree/nested/deep/hard-2']);
    expect(await tempFilesBelow(join(work, 'out'))).toEqual([]);
  });

  it('reads each pack once and far fewer times than there are blobs', async () => {
    const { work, repoDir, snapshotId } = await backedUpTree();
    const { repo, backend } = await openCounting(repoDir);
    const contents = await fileContents(repo, snapshotId);
    const blobs = new Set([...contents.values()].flat().map(toHex));
    const packs = new Set([...contents.values()].flat().map((id) => toHex(repo.index.lookup(id)!.packId)));
    backend.packReads.clear();
    await restore(repo, snapshotId, { target: createLocalTarget(join(work, 'out')) });
    const reads = contentReads(repo, backend);
    expect([...reads.keys()].sort()).toEqual([...packs].sort());
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    expect(packs.size).toBeGreaterThan(10);
    expect(blobs.size).toBeGreaterThan(4 * packs.size);
  });

  it('reads a pack at most once for a selection, and for a later snapshot that reuses older packs', async () => {
    const { work, source, repoDir, snapshotId } = await backedUpTree();
    const { repo, backend } = await openCounting(repoDir);
    const selected = await restore(repo, snapshotId, { target: createLocalTarget(join(work, 'part')), include: ['tree/big.bin', 'tree/nested/shared-b.bin'] });
    expect(selected.files).toBe(2);
    expect([...contentReads(repo, backend).values()].every((n) => n === 1)).toBe(true);

    await appendFile(join(source, 'big.bin'), 'appended\n');
    await writeFile(join(source, 'shared-a.bin'), Buffer.concat([Buffer.from('new head\n'), Buffer.alloc(5000, 7)]));
    const second = await backup(repo, { source: createLocalSource(), paths: [source] });
    backend.packReads.clear();
    const result = await restore(repo, second.id, { target: createLocalTarget(join(work, 'second')) });
    expect(result.problems).toEqual([]);
    // The changed chunks are deltas: each base is read once, apart from the packs' reads for the files' own blobs.
    const baseReads = new Map<string, number>();
    expect([...contentReads(repo, backend, baseReads).values()].every((n) => n === 1)).toBe(true);
    expect(baseReads.size).toBeGreaterThan(0);
    expect([...baseReads.values()].every((n) => n === 1)).toBe(true);
    expect([...(await describeTree(join(work, 'second', 'tree'))).entries()]).toEqual([...(await describeTree(source)).entries()]);
  });

  it('restores the same tree with one open file, no cache and tiny reads (packs read again), and decoding in a worker thread', async () => {
    const { work, source, repoDir, snapshotId } = await backedUpTree();
    const tight: WriterLimits[] = [
      { maxGap: 0, maxReadBytes: 2048, maxStepBytes: 4096, maxOpenFiles: 1, cacheBytes: 0, readAhead: 1, readsAhead: 1, fileTasks: 1, wholeFileBytes: 0, decodeThreads: 0, decodeThreadsFrom: 0 },
      { maxGap: 4096, maxReadBytes: 8192, maxStepBytes: 16384, maxOpenFiles: 2, cacheBytes: 20_000, readAhead: 20_000, readsAhead: 4, fileTasks: 3, wholeFileBytes: 20_000, decodeThreads: 0, decodeThreadsFrom: 0 },
      // Decoded in a worker thread, small files written whole.
      { ...RESTORE_LIMITS, maxStepBytes: 65_536, decodeThreads: 1, decodeThreadsFrom: 0 },
    ];
    for (const [i, limits] of tight.entries()) {
      const { repo, backend } = await openCounting(repoDir);
      const out = join(work, `out${i}`);
      const ctx = new RestoreContext(repo, { target: createLocalTarget(out) }, {
        snapshotId, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, checkedOut: 0, bytesWritten: 0, problems: [], notRestored: [],
      });
      const plan = await planRestore(ctx, (await findSnapshot(repo, snapshotId)).snapshot.tree);
      backend.packReads.clear();
      await writeByPosition(ctx, plan.files, limits);
      for (const folder of plan.folders) await ctx.setEntryMetadata(folder.parts, 'dir', folder.metadata, folder.xattrs);
      expect(ctx.result.problems).toEqual([]);
      expect(ctx.result.files).toBe(50);
      expect([...(await describeTree(join(out, 'tree'))).entries()]).toEqual([...(await describeTree(source)).entries()]);
      expect(await tempFilesBelow(out)).toEqual([]);
      if (i === 0) expect([...contentReads(repo, backend).values()].some((n) => n > 1)).toBe(true);
    }
  });

  it('falls back to streaming through writeFile for a target without createFile, with the same result', async () => {
    const { work, source, repoDir, snapshotId } = await backedUpTree();
    const { repo } = await openCounting(repoDir);
    const local = createLocalTarget(join(work, 'out'));
    let streamed = 0;
    const streaming: Target = {
      ...local,
      async writeFile(path, data) {
        streamed += 1;
        await local.writeFile(path, data);
      },
    };
    expect(streaming.createFile).toBeUndefined();
    const result = await restore(repo, snapshotId, { target: streaming });
    expect(result).toMatchObject({ files: 50, hardlinks: 1, symlinks: 2, problems: [] });
    expect(streamed).toBe(50);
    expect([...(await describeTree(join(work, 'out', 'tree'))).entries()]).toEqual([...(await describeTree(source)).entries()]);
  });
});
