import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHex } from '@cairn/core';
import { check, listSnapshots, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { hasCommand, tempDir } from './helpers.js';
import { deltaDepth } from '../src/repo/delta-chain.js';
import { findSnapshot } from '../src/repo/snapshots.js';
import { RESTORE_LIMITS, writeByPosition } from '../src/restore/file-writer.js';
import { RestoreContext } from '../src/restore/restore-context.js';
import { planRestore } from '../src/restore/restore-plan.js';

const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const golden = join(top, 'fixtures', 'golden-delta');

interface Manifest {
  snapshots: { id: string; files: Record<string, string> }[];
  deltas: { id: string; base: string }[];
}

describe('golden repository with delta blobs (format version 2)', () => {
  it('still opens, checks clean, names each delta\'s base as the manifest does, and restores every snapshot byte for byte', async () => {
    const manifest = JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8')) as Manifest;
    const work = await tempDir();
    await cp(join(golden, 'repo'), join(work, 'repo'), { recursive: true });
    const repo = await openRepository(createLocalBackend(join(work, 'repo')));
    expect(repo.config).toMatchObject({ version: 2, deltas: true });
    expect((await check(repo, { readData: true })).problems).toEqual([]);
    for (const delta of manifest.deltas) {
      const location = repo.index.lookup(fromHex(delta.id));
      expect(location?.codec, delta.id).toBe('delta');
      expect(Buffer.from(location!.base!).toString('hex')).toBe(delta.base);
    }
    const { snapshots } = await listSnapshots(repo);
    expect(snapshots.map((s) => s.id).sort()).toEqual(manifest.snapshots.map((s) => s.id).sort());
    for (const [i, snapshot] of manifest.snapshots.entries()) {
      const out = join(work, `out-${i}`);
      const restored = await restore(repo, snapshot.id, { target: createLocalTarget(out) });
      expect(restored.problems).toEqual([]);
      for (const [path, sha] of Object.entries(snapshot.files)) {
        expect(createHash('sha256').update(await readFile(join(out, path))).digest('hex'), `${path} of snapshot ${i}`).toBe(sha);
      }
    }
  });

  // docs/read_cairn.py knows only docs/FORMAT.md and the zstd command (`zstd -D <base>` for a delta).
  it.skipIf(!hasCommand('zstd') || !hasCommand('python3'))('is readable from docs/FORMAT.md alone (an independent reader), deltas included', async () => {
    const manifest = JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8')) as Manifest;
    const work = await tempDir();
    for (const [i, snapshot] of manifest.snapshots.entries()) {
      const out = join(work, `out-${i}`);
      execFileSync('python3', [join(top, 'docs', 'read_cairn.py'), join(golden, 'repo'), snapshot.id, out], { stdio: 'pipe' });
      for (const [path, sha] of Object.entries(snapshot.files)) {
        expect(createHash('sha256').update(await readFile(join(out, path))).digest('hex'), `${path} of snapshot ${i}`).toBe(sha);
      }
    }
  });

  it('restores the newest snapshot, whose chunk stands on a chain of 3 deltas, decoding each base of the chain once', async () => {
    const manifest = JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8')) as Manifest;
    const work = await tempDir();
    await cp(join(golden, 'repo'), join(work, 'repo'), { recursive: true });
    const repo = await openRepository(createLocalBackend(join(work, 'repo')));
    const depths = manifest.deltas.map((d) => deltaDepth(repo.index, fromHex(d.id))).sort();
    expect(depths).toEqual([1, 2, 3]);
    const newest = manifest.snapshots[3]!;
    const ctx = new RestoreContext(repo, { target: createLocalTarget(join(work, 'out')) }, {
      snapshotId: newest.id, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, checkedOut: 0, bytesWritten: 0, problems: [], notRestored: [],
    });
    const plan = await planRestore(ctx, (await findSnapshot(repo, newest.id)).snapshot.tree);
    await writeByPosition(ctx, plan.files, { ...RESTORE_LIMITS, decodeThreads: 0 });
    expect(ctx.result.problems).toEqual([]);
    expect(plan.files.blobs.bases.decoded).toBe(3);
    expect(createHash('sha256').update(await readFile(join(work, 'out', 'notes', 'story.txt'))).digest('hex')).toBe(newest.files['notes/story.txt']);
  });
});
