import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@cairn/core';
import { check, listSnapshots, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { hasCommand, tempDir } from './helpers.js';
import { findSnapshot } from '../src/repo/snapshots.js';
import { RESTORE_LIMITS, writeByPosition } from '../src/restore/file-writer.js';
import { RestoreContext } from '../src/restore/restore-context.js';
import { planRestore } from '../src/restore/restore-plan.js';

const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const golden = join(top, 'fixtures', 'golden-group');

interface Manifest {
  snapshots: { id: string; files: Record<string, string> }[];
  groups: { pack: string; offset: number; members: { id: string; groupAt: number; rawLength: number }[] }[];
}

const manifest = async (): Promise<Manifest> => JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8')) as Manifest;

describe('golden repository with grouped small blobs (format version 3)', () => {
  it('still opens, checks clean, places each member in its group as the manifest does, and restores every snapshot byte for byte', async () => {
    const m = await manifest();
    const work = await tempDir();
    await cp(join(golden, 'repo'), join(work, 'repo'), { recursive: true });
    const repo = await openRepository(createLocalBackend(join(work, 'repo')));
    expect(repo.config).toMatchObject({ version: 3, groups: true });
    expect((await check(repo, { readData: true })).problems).toEqual([]);
    expect(m.groups.length).toBeGreaterThanOrEqual(2);
    for (const group of m.groups) {
      for (const member of group.members) {
        const location = repo.index.lookup(fromHex(member.id));
        expect(location?.codec, member.id).toBe('group');
        expect([toHex(location!.packId), location!.offset, location!.groupAt, location!.rawLength]).toEqual([group.pack, group.offset, member.groupAt, member.rawLength]);
      }
    }
    const { snapshots } = await listSnapshots(repo);
    expect(snapshots.map((s) => s.id).sort()).toEqual(m.snapshots.map((s) => s.id).sort());
    for (const [i, snapshot] of m.snapshots.entries()) {
      const out = join(work, `out-${i}`);
      const restored = await restore(repo, snapshot.id, { target: createLocalTarget(out) });
      expect(restored.problems).toEqual([]);
      for (const [path, sha] of Object.entries(snapshot.files)) {
        expect(createHash('sha256').update(await readFile(join(out, path))).digest('hex'), `${path} of snapshot ${i}`).toBe(sha);
      }
    }
  });

  it('restores the newest snapshot decompressing each of its groups once', async () => {
    const m = await manifest();
    const work = await tempDir();
    await cp(join(golden, 'repo'), join(work, 'repo'), { recursive: true });
    const repo = await openRepository(createLocalBackend(join(work, 'repo')));
    const newest = m.snapshots[m.snapshots.length - 1]!;
    const ctx = new RestoreContext(repo, { target: createLocalTarget(join(work, 'out')) }, {
      snapshotId: newest.id, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, checkedOut: 0, bytesWritten: 0, problems: [], notRestored: [],
    });
    const plan = await planRestore(ctx, (await findSnapshot(repo, newest.id)).snapshot.tree);
    await writeByPosition(ctx, plan.files, { ...RESTORE_LIMITS, decodeThreads: 0 });
    expect(ctx.result.problems).toEqual([]);
    expect(plan.files.blobs.groupsDecoded).toBe(m.groups.length); // the newest snapshot uses members of both groups
  });

  // docs/read_cairn.py knows only docs/FORMAT.md and the zstd command.
  it.skipIf(!hasCommand('zstd') || !hasCommand('python3'))('is readable from docs/FORMAT.md alone (an independent reader), groups included', async () => {
    const m = await manifest();
    const work = await tempDir();
    for (const [i, snapshot] of m.snapshots.entries()) {
      const out = join(work, `out-${i}`);
      execFileSync('python3', [join(top, 'docs', 'read_cairn.py'), join(golden, 'repo'), snapshot.id, out], { stdio: 'pipe' });
      for (const [path, sha] of Object.entries(snapshot.files)) {
        expect(createHash('sha256').update(await readFile(join(out, path))).digest('hex'), `${path} of snapshot ${i}`).toBe(sha);
      }
    }
  });
});
