import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initRepository, listSnapshots } from '@cairn/repository';
import { statfs } from 'node:fs/promises';
import { createLocalBackend, packReserve } from '@cairn/transport';
import { tempDir } from '../../../packages/repository/test/helpers.js';
import { checkProblems, fileHashes, reopen, restoredHashes, writeFiles } from '../../../packages/repository/test/lifecycle-helpers.js';
import { jsonError, jsonSummary, startCli } from './run-cli.js';

const mounts: string[] = [];

/** Mounts a 24 MiB tmpfs at `dir`; the reason it could not (not root, no mount), or null. */
function mountSmallFs(dir: string, size = '24m'): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    return `cannot mount a size-limited tmpfs (needs root): ${(error as { stderr?: Buffer }).stderr?.toString().trim() || String(error)}`;
  }
  mounts.push(dir);
  return null;
}

afterEach(() => {
  for (const dir of mounts.splice(0)) execFileSync('umount', ['-l', dir]);
});

async function tempFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((path) => path.split('/').some((part) => part.startsWith('.tmp-')));
}

describe('a full disk', () => {
  it('a backup that fills the repository\'s filesystem stops with ERR_NO_SPACE naming the repository, leaves it consistent and without temporary files', { timeout: 120_000 }, async (context) => {
    const work = await tempDir();
    const mnt = join(work, 'mnt');
    await mkdir(mnt);
    const reason = mountSmallFs(mnt);
    if (reason !== null) {
      context.skip(reason);
      return;
    }
    const repoPath = join(mnt, 'repo');
    await initRepository(createLocalBackend(repoPath), { packSize: 1024 * 1024 });
    const small = join(work, 'small', 'tree');
    await writeFiles(small, 1, 10, 100_000); // ~1.5 MB
    const first = await startCli(['--repo', repoPath, 'backup', small, '--json', '--quiet']).done;
    expect(first.code, first.stderr).toBe(0);
    const firstId = (jsonSummary(first.stdout) as { id: string }).id;
    const expected = await fileHashes(small);

    const big = join(work, 'big', 'tree');
    await writeFiles(big, 2, 40, 700_000); // ~40 MB of random bytes: more than the 24 MiB filesystem holds
    const full = await startCli(['--repo', repoPath, 'backup', big, '--quiet']).done;
    expect(full.code).toBe(1);
    expect(full.stderr).toContain(`no space left for repository ${repoPath}`);
    expect(full.stderr).toMatch(/hint: free some space/);
    const json = await startCli(['--repo', repoPath, 'backup', big, '--quiet', '--json']).done;
    expect(json.code).toBe(1);
    expect((jsonError(json.stderr) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'ERR_NO_SPACE', message: expect.stringContaining(repoPath) as string });

    // Packs never took the last of the space: the reserve for locks, indexes and prune is still free.
    const fs = await statfs(mnt);
    expect(fs.bavail * fs.bsize).toBeGreaterThanOrEqual(packReserve(fs.blocks * fs.bsize));

    // Consistent: check passes, the earlier snapshot restores, no temporary file and no lease is left.
    expect(await tempFiles(repoPath)).toEqual([]);
    expect((await readdir(join(repoPath, 'locks'))).filter((name) => name.startsWith('lease-'))).toEqual([]);
    expect(await checkProblems(mnt)).toEqual([]);
    const repo = await reopen(mnt);
    expect((await listSnapshots(repo)).snapshots.map((s) => s.id)).toEqual([firstId]);
    expect(await restoredHashes(repo, firstId, 'tree')).toEqual(expected);

    // A prune frees what the failed backups wrote, and a backup that fits succeeds.
    const pruned = await startCli(['--repo', repoPath, 'prune', '--grace', '0']).done;
    expect(pruned.code, pruned.stderr).toBe(0);
    await rm(join(big, 'f0.bin'));
    const fits = join(work, 'fits', 'tree');
    await writeFiles(fits, 3, 4, 500_000);
    const after = await startCli(['--repo', repoPath, 'backup', fits, '--json', '--quiet']).done;
    expect(after.code, after.stderr).toBe(0);
    expect(await checkProblems(mnt)).toEqual([]);
    expect(await restoredHashes(await reopen(mnt), (jsonSummary(after.stdout) as { id: string }).id, 'tree')).toEqual(await fileHashes(fits));
  });

  it('a restore that fills the target stops, names what was not restored and exits 3; one that can write nothing exits 1 and changes nothing', { timeout: 120_000 }, async (context) => {
    const work = await tempDir();
    const repoPath = join(work, 'repo');
    await initRepository(createLocalBackend(repoPath), { packSize: 1024 * 1024 });
    const tree = join(work, 'tree');
    const written = await writeFiles(tree, 1, 30, 100_000); // ~3 MB of incompressible files
    const saved = await startCli(['--repo', repoPath, 'backup', tree, '--json', '--quiet']).done;
    expect(saved.code, saved.stderr).toBe(0);
    const id = (jsonSummary(saved.stdout) as { id: string }).id;
    const mnt = join(work, 'mnt');
    await mkdir(mnt);
    const reason = mountSmallFs(mnt, '1m');
    if (reason !== null) {
      context.skip(reason);
      return;
    }
    const partial = await startCli(['--repo', repoPath, 'restore', id.slice(0, 12), '--target', join(mnt, 'out')]).done;
    expect(partial.code, partial.stderr).toBe(3);
    expect(partial.stderr).toMatch(/file\(s\) were not restored, this one and those after it, because the target is full/);
    expect(await tempFiles(mnt)).toEqual([]);
    const restored = await readdir(join(mnt, 'out', 'tree'));
    expect(restored.length).toBeGreaterThan(0);
    expect(restored.length).toBeLessThan(30);
    // New files are written in place: none that the full target cut short is left behind.
    for (const name of restored) expect(await readFile(join(mnt, 'out', 'tree', name)), name).toEqual(written.get(name));
    // Now the target is full from the start (a filler takes what the aborted files freed): nothing can be written, nothing changes, exit 1.
    execFileSync('sh', ['-c', `dd if=/dev/zero of=${join(mnt, 'filler')} bs=4k 2>/dev/null || true`]);
    const before = (await readdir(mnt, { recursive: true })).sort();
    const none = await startCli(['--repo', repoPath, 'restore', id.slice(0, 12), '--target', join(mnt, 'again')]).done;
    expect(none.code, none.stderr).toBe(1);
    expect(none.stderr).toMatch(/nothing was restored into/);
    expect((await readdir(mnt, { recursive: true })).filter((path) => path !== 'again').sort()).toEqual(before);
    expect(await readdir(join(mnt, 'again'))).toEqual([]); // the folders it made for nothing are gone again
  });
});
