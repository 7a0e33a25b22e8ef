import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lchown, lstat, lutimes, mkdir, readFile, readlink, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { blobId } from '@cairn/chunker';
import { encodeSnapshot } from '@cairn/index';
import { backup, initRepository, restore } from '@cairn/repository';
import { createBlobWriter } from '@cairn/repository/testing';
import type { RestoreAction } from '@cairn/repository';
import { CairnError, toHex } from '@cairn/core';
import type { Target } from '@cairn/core';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { sampleRepo, tempDir } from './helpers.js';

async function backedUp() {
  const { work, source, repo } = await sampleRepo('proj', { bigFileSize: 4096 });
  const { id } = await backup(repo, { source: createLocalSource(), paths: [source] });
  return { work, repo, id };
}

describe('restore options', () => {
  it('restores only selected paths and globs, with their parent folders', async () => {
    const { work, repo, id } = await backedUp();
    const out = join(work, 'out');
    const result = await restore(repo, id, { target: createLocalTarget(out), include: ['proj/src/deep', '**/*.key'] });
    expect(result.problems).toEqual([]);
    expect(await readFile(join(out, 'proj/src/deep/deeper/leaf.md'), 'utf8')).toBe('# leaf\n');
    expect(existsSync(join(out, 'proj/secret.key'))).toBe(true);
    expect(existsSync(join(out, 'proj/src/main.ts'))).toBe(false);
    expect(existsSync(join(out, 'proj/big.bin'))).toBe(false);
    expect(result.files).toBe(2);
  });

  it('a glob without "/" matches names at any depth; a plain name only at the top', async () => {
    const { work, repo, id } = await backedUp();
    const out = join(work, 'out');
    const result = await restore(repo, id, { target: createLocalTarget(out), include: ['*.md'] });
    expect(result.files).toBe(1);
    expect(existsSync(join(out, 'proj/src/deep/deeper/leaf.md'))).toBe(true);
    await expect(restore(repo, id, { target: createLocalTarget(join(work, 'out2')), include: ['src'] })).rejects.toThrow(/matches "src"/);
  });

  it('fails clearly when nothing matches the selection', async () => {
    const { work, repo, id } = await backedUp();
    await expect(restore(repo, id, { target: createLocalTarget(join(work, 'out')), include: ['proj/nothing-here'] }))
      .rejects.toThrow(/nothing in snapshot [0-9a-f]{8} matches "proj\/nothing-here"/);
  });

  it('dry run lists what would happen and writes nothing', async () => {
    const { work, repo, id } = await backedUp();
    const out = join(work, 'out');
    const actions: RestoreAction[] = [];
    const result = await restore(repo, id, { target: createLocalTarget(out), dryRun: true, onAction: (a) => actions.push(a) });
    expect(existsSync(out)).toBe(false);
    expect(actions).toContainEqual({ action: 'create', path: 'proj/src/main.ts', type: 'file', size: 13000 });
    expect(actions).toContainEqual({ action: 'link', path: 'proj/src/hard-b.txt', type: 'file', size: 20 });
    // The dry run counts what the restore then does.
    const real = await restore(repo, id, { target: createLocalTarget(out) });
    const counts = (r: typeof result) => ({ files: r.files, dirs: r.dirs, symlinks: r.symlinks, hardlinks: r.hardlinks, bytes: r.bytesWritten });
    expect(real.files).toBeGreaterThan(0);
    expect(counts(result)).toEqual(counts(real));
  });

  it('overwrite policies: never keeps, if-changed compares size and mtime, always replaces', async () => {
    const { work, repo, id } = await backedUp();
    const out = join(work, 'out');
    await restore(repo, id, { target: createLocalTarget(out) });
    const main = join(out, 'proj/src/main.ts');
    const crlf = join(out, 'proj/crlf.txt');
    await writeFile(main, 'local edit\n');
    const keptTime = (await lstat(crlf)).mtime;

    const never = await restore(repo, id, { target: createLocalTarget(out), overwrite: 'never' });
    expect(await readFile(main, 'utf8')).toBe('local edit\n');
    expect(never.files).toBe(0);

    const ifChanged = await restore(repo, id, { target: createLocalTarget(out), overwrite: 'if-changed' });
    expect(await readFile(main, 'utf8')).toBe('export const answer = 42;\n'.repeat(500));
    expect(ifChanged.files).toBe(1); // only main.ts differed
    expect((await lstat(crlf)).mtime).toEqual(keptTime);

    await utimes(crlf, new Date(), new Date());
    await writeFile(join(out, 'proj/run.sh'), 'changed');
    const always = await restore(repo, id, { target: createLocalTarget(out), overwrite: 'always' });
    expect(always.skipped).toBe(0);
    expect(await readFile(join(out, 'proj/run.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
  });

  it('replaces a symlink in the target instead of writing through it', async () => {
    const { work, repo, id } = await backedUp();
    const out = join(work, 'out');
    const elsewhere = join(work, 'elsewhere.txt');
    await writeFile(elsewhere, 'must stay');
    await restore(repo, id, { target: createLocalTarget(out), include: ['proj/zero.bin'] });
    await symlink(elsewhere, join(out, 'proj/crlf.txt'));
    await restore(repo, id, { target: createLocalTarget(out), include: ['proj/crlf.txt'] });
    expect(await readFile(elsewhere, 'utf8')).toBe('must stay');
    expect((await lstat(join(out, 'proj/crlf.txt'))).isFile()).toBe(true);
    await restore(repo, id, { target: createLocalTarget(out), include: ['proj/link-to-dir'] });
    expect(await readlink(join(out, 'proj/link-to-dir'))).toBe('src');
  });

  it('refuses tree entries named "..", "." or containing "/" (path traversal)', async () => {
    const work = await tempDir();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const writer = createBlobWriter(repo);
    const content = await writer.save('data', new TextEncoder().encode('owned\n'));
    // A hostile tree, written by hand: one entry climbs out of the target.
    const packr = new Packr({ useRecords: false, mapsAsObjects: true });
    const node = (name: string) => ({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, ctime: 0, ino: 1, dev: 1, nlink: 1, size: 6, content: [content] });
    for (const name of ['..', '.', 'a/../../escape']) {
      const tree = await writer.save('tree', packr.pack({ v: 1, nodes: [node(name)] }));
      await writer.finish();
      const snapshot = encodeSnapshot({
        time: 1n, tree, paths: ['/x'], hostname: 'h', username: 'u', tags: [], description: '', meta: {}, parent: null, program: 'test',
        summary: { filesNew: 0, filesChanged: 0, filesUnchanged: 0, filesReferenced: 0, dirs: 0, symlinks: 0, others: 0, bytesRead: 0, bytesAdded: 0, dataBlobsAdded: 0, treeBlobsAdded: 0, packsAdded: 0, warnings: 0, durationMs: 0 },
      });
      const snapshotId = toHex(blobId(snapshot));
      await repo.backend.write('snapshot', snapshotId, snapshot);
      const out = join(work, 'out', 'inner');
      const result = await restore(repo, snapshotId, { target: createLocalTarget(out) });
      expect(result.files).toBe(0);
      expect(result.problems[0]?.message).toMatch(/name/i);
      expect(existsSync(join(work, 'out', 'escape'))).toBe(false);
      expect(existsSync(join(work, 'escape'))).toBe(false);
    }
  });
});

describe('a failing target', () => {
  it('a full target (streaming writes): stops writing, names the file and the rest as not restored, returns partial; not listed as damaged data', async () => {
    const { work, repo, id } = await backedUp();
    const local = createLocalTarget(join(work, 'out'));
    let written = 0;
    // A disk that fills up after two files: the repository is fine, the target is not.
    const full: Target = {
      ...local,
      async writeFile(path, data) {
        if (written === 2) throw new CairnError('ERR_NO_SPACE', `${join(work, 'out', ...path)}: no space left on device`);
        written += 1;
        await local.writeFile(path, data);
      },
    };
    const problems: string[] = [];
    const result = await restore(repo, id, { target: full, onProblem: (p) => problems.push(p.message) });
    expect(result.files).toBe(2);
    expect(problems[0]).toMatch(/no space left on device/);
    expect(problems.at(-1)).toMatch(/file\(s\) were not restored, this one and those after it, because the target is full/);
    expect(problems.join('\n')).not.toMatch(/blob|pack/);
  });
});

describe('restored symlinks', () => {
  it('get their owner (as root) and mtime with them, those with extended attributes too (as root: trusted.*), their destination untouched', async () => {
    const work = await tempDir();
    const source = join(work, 'links');
    await mkdir(source);
    await writeFile(join(source, 'dest'), 'the destination');
    const asRoot = process.getuid?.() === 0;
    const owner = asRoot ? [4321, 8765] : [process.getuid?.() ?? 0, process.getgid?.() ?? 0];
    const made: [string, number][] = [['plain', 1_500_000_000.123456], ['attributed', 1_400_000_000.654321]];
    for (const [name, seconds] of made) {
      await symlink('dest', join(source, name));
      if (asRoot) await lchown(join(source, name), owner[0]!, owner[1]!);
      await lutimes(join(source, name), seconds, seconds);
    }
    // Linux takes no user.* attribute on a symlink; root may set trusted.* ones.
    let attributed = false;
    if (asRoot) {
      const set = spawnSync('python3', ['-c', 'import os, sys; os.setxattr(sys.argv[1], "trusted.cairn", b"on a link", follow_symlinks=False)', join(source, 'attributed')]);
      attributed = set.status === 0;
    }
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const { id } = await backup(repo, { source: createLocalSource(), paths: [source] });
    const destBefore = await lstat(join(source, 'dest'), { bigint: true });
    const out = join(work, 'out');
    const result = await restore(repo, id, { target: createLocalTarget(out) });
    expect(result.problems).toEqual([]);
    expect(result.symlinks).toBe(2);
    for (const [name] of made) {
      const original = await lstat(join(source, name), { bigint: true });
      const restored = await lstat(join(out, 'links', name), { bigint: true });
      expect(restored.isSymbolicLink()).toBe(true);
      expect(await readlink(join(out, 'links', name))).toBe('dest');
      expect([Number(restored.uid), Number(restored.gid)]).toEqual(owner);
      expect(restored.mtimeNs / 1000n).toBe(original.mtimeNs / 1000n);
    }
    if (attributed) {
      const read = spawnSync('python3', ['-c', 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.cairn", follow_symlinks=False).decode(), end="")', join(out, 'links', 'attributed')], { encoding: 'utf8' });
      expect(read.stdout).toBe('on a link');
    }
    // Its own mtime (to the microsecond), not a link's: setting a link's metadata did not follow it.
    const dest = await lstat(join(out, 'links', 'dest'), { bigint: true });
    expect(dest.mtimeNs / 1000n).toBe(destBefore.mtimeNs / 1000n);
  });
});
