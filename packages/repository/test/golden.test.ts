import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, lstat, readFile, readlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { check, listSnapshots, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { hasCommand, tempDir } from './helpers.js';

const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const golden = join(top, 'fixtures', 'golden-v1');
const docs = join(top, 'docs');

interface Manifest {
  snapshot: string;
  mtime: string;
  entries: Record<string, { type: string; sha256?: string; size?: number; mode?: string; target?: string; hardlinkOf?: string }>;
}

/** Checks a restored folder against the fixture's manifest: content, size, mtime, mode, links. */
async function expectManifest(out: string, manifest: Manifest): Promise<void> {
  const mtime = new Date(manifest.mtime).getTime();
  for (const [path, want] of Object.entries(manifest.entries)) {
    const full = join(out, path);
    const st = await lstat(full);
    if (want.type === 'symlink') {
      expect(st.isSymbolicLink(), path).toBe(true);
      expect(await readlink(full)).toBe(want.target);
    } else if (want.type === 'dir') {
      expect(st.isDirectory(), path).toBe(true);
    } else {
      const data = await readFile(full);
      expect(createHash('sha256').update(data).digest('hex'), path).toBe(want.sha256);
      expect(data.byteLength).toBe(want.size);
      expect(st.mtime.getTime(), path).toBe(mtime);
      if (want.mode !== undefined) expect((st.mode & 0o777).toString(8), path).toBe(want.mode);
      if (want.hardlinkOf !== undefined) expect(st.ino).toBe((await lstat(join(out, want.hardlinkOf))).ino);
    }
  }
}

describe('golden repository of format version 1', () => {
  it('still opens, checks clean and restores its known content', async () => {
    const manifest = JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8')) as Manifest;
    const work = await tempDir();
    // Work on a copy: nothing may write into the committed fixture.
    await cp(join(golden, 'repo'), join(work, 'repo'), { recursive: true });
    const repo = await openRepository(createLocalBackend(join(work, 'repo')));
    expect(repo.config.chunker).toEqual({ algorithm: 'fastcdc', min: 1024, avg: 4096, max: 16384 });
    // The fixture pins every decode path: stored and zstd blobs, data and trees.
    const kinds = new Set([...repo.index.entries()].map(([, at]) => `${at.type}/${at.codec}`));
    expect([...kinds].sort()).toEqual(['data/none', 'data/zstd', 'tree/none', 'tree/zstd']);

    const { snapshots } = await listSnapshots(repo);
    expect(snapshots.map((s) => s.id)).toEqual([manifest.snapshot]);
    expect(snapshots[0]?.snapshot).toMatchObject({ hostname: 'golden-host', tags: ['golden'], meta: { purpose: 'pin the format' } });

    const checked = await check(repo, { readData: true });
    expect(checked.problems).toEqual([]);

    const out = join(work, 'out');
    const result = await restore(repo, manifest.snapshot, { target: createLocalTarget(out) });
    expect(result.problems).toEqual([]);
    await expectManifest(out, manifest);
  });

  // docs/read_cairn.py knows only docs/FORMAT.md (Python's standard library and the zstd
  // command): if the document and the bytes drift apart, this fails.
  it.skipIf(!hasCommand('zstd') || !hasCommand('python3'))('is readable from docs/FORMAT.md alone (an independent reader)', async () => {
    const manifest = JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8')) as Manifest;
    const out = join(await tempDir(), 'out');
    execFileSync('python3', [join(docs, 'read_cairn.py'), join(golden, 'repo'), manifest.snapshot, out], { stdio: 'pipe' });
    await expectManifest(out, manifest);
  });
});

