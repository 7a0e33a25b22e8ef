import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, restore } from '@cairn/repository';
import type { BackupProgress, RestoreProgress } from '@cairn/repository';
import { forget, prune } from '@cairn/repository/maintenance';
import type { PruneProgress } from '@cairn/repository/maintenance';
import type { Target } from '@cairn/core';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';
import { backupDir, smallRepo, writeFiles } from './lifecycle-helpers.js';

/** Checks that every count only grows from one report to the next. */
function growing<T extends object>(reports: readonly T[], keys: readonly (keyof T)[]): void {
  for (let i = 1; i < reports.length; i += 1) {
    for (const key of keys) expect(reports[i]![key] as number).toBeGreaterThanOrEqual(reports[i - 1]![key] as number);
  }
}

describe('progress the engine reports', () => {
  it('backup: bytes done, and the parent snapshot\'s files and bytes as the total (none without a parent)', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'proj');
    const files = await writeFiles(dir, 1, 12);
    const bytes = [...files.values()].reduce((n, b) => n + b.length, 0);
    const first: BackupProgress[] = [];
    await backup(repo, { source: createLocalSource(), paths: [dir], onProgress: (p) => first.push(p) });
    expect(first.every((p) => p.total === undefined)).toBe(true);
    expect(first.at(-1)).toMatchObject({ files: 12, bytesDone: bytes, bytesRead: bytes });

    // Half the files change, one is added: the total is still the parent's, measured alongside.
    for (let i = 0; i < 6; i += 1) await writeFile(join(dir, `f${i}.bin`), seededBytes(files.get(`f${i}.bin`)!.length, 100 + i));
    await writeFile(join(dir, 'new.bin'), seededBytes(5_000, 7));
    const second: BackupProgress[] = [];
    await backup(repo, { source: createLocalSource(), paths: [dir], onProgress: (p) => second.push(p) });
    growing(second, ['files', 'bytesDone', 'bytesRead']);
    expect(second.at(-1)).toMatchObject({ files: 13, bytesDone: bytes + 5_000, total: { files: 12, bytes } });
    expect(second.at(-1)!.bytesRead).toBeLessThan(bytes); // the unchanged half is counted done, not read
  });

  it('restore: totals from the plan at once, then files and bytes written, by position and streaming; nothing in a dry run', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'proj');
    const files = await writeFiles(dir, 2, 10, 30_000);
    const bytes = [...files.values()].reduce((n, b) => n + b.length, 0);
    const { id } = await backupDir(repo, dir);

    const local = createLocalTarget(join(work, 'out'));
    // A target without createFile: the restore streams each file.
    const streaming: Target = { ...createLocalTarget(join(work, 'streamed')), createFile: undefined };
    for (const [name, target] of [['by position', local], ['streaming', streaming]] as const) {
      const reports: RestoreProgress[] = [];
      const result = await restore(repo, id, { target, progressIntervalMs: 0, onProgress: (p) => reports.push(p) });
      expect(result.files, name).toBe(10);
      expect(reports[0], name).toEqual({ filesDone: 0, filesTotal: 10, bytesDone: 0, bytesTotal: bytes, path: '' });
      expect(reports.length, name).toBeGreaterThan(10); // every write, with no interval
      growing(reports, ['filesDone', 'bytesDone']);
      expect(reports.at(-1), name).toMatchObject({ filesDone: 10, filesTotal: 10, bytesDone: bytes, bytesTotal: bytes });
      expect(reports.some((r) => r.path.startsWith('proj/f')), name).toBe(true);
    }

    // The default interval reports far less often; a dry run never.
    const throttled: RestoreProgress[] = [];
    await restore(repo, id, { target: createLocalTarget(join(work, 'out2')), onProgress: (p) => throttled.push(p) });
    expect(throttled.length).toBeLessThan(10);
    expect(throttled.at(-1)).toMatchObject({ filesDone: 10, bytesDone: bytes });
    const dry: RestoreProgress[] = [];
    await restore(repo, id, { target: createLocalTarget(join(work, 'out3')), dryRun: true, onProgress: (p) => dry.push(p) });
    expect(dry).toEqual([]);
  });

  it('prune: packs repacked and deleted, of how many', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'proj');
    await writeFiles(dir, 3, 16, 6_000);
    const first = await backupDir(repo, dir);
    for (let i = 0; i < 16; i += 2) await rm(join(dir, `f${i}.bin`));
    await backupDir(repo, dir);
    await forget(repo, { snapshots: [first.id] });
    const reports: PruneProgress[] = [];
    const result = await prune(repo, { graceMs: 0, maxUnused: 0, onProgress: (p) => reports.push(p) });
    const repack = reports.filter((p) => p.phase === 'repack');
    const deleted = reports.filter((p) => p.phase === 'delete');
    expect(repack.at(-1)).toEqual({ phase: 'repack', done: result.marked.repacked.packs, total: result.marked.repacked.packs });
    expect(deleted.at(-1)).toEqual({ phase: 'delete', done: result.deleted.packs, total: result.deleted.packs });
    expect(reports.indexOf(repack.at(-1)!)).toBeLessThan(reports.indexOf(deleted[0]!));
    growing(repack, ['done']);
    growing(deleted, ['done']);
  });
});
