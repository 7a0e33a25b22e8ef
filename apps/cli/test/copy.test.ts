import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { backup, initRepository, listSnapshots, openRepository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { seededBytes } from '../../../packages/repository/test/helpers.js';
import { fileHashes, writeFiles } from '../../../packages/repository/test/lifecycle-helpers.js';
import { cairn, jsonSummary, startCli, tempDir } from './run-cli.js';

/** Small chunks and packs: a few MB make dozens of packs and index checkpoints. */
const SMALL = { chunker: { min: 1024, avg: 4096, max: 16384 }, packSize: 64 * 1024 } as const;
const FAST_KDF = { N: 1024, r: 8, p: 1 };

interface CopySummary {
  copied: { source: string; destination: string }[];
  skipped: { source: string; destination: string }[];
  failed: unknown[];
  dataBlobsAdded: number;
  packsAdded: number;
  packsCopiedWhole: number;
  bytesRead: number;
  idsAlike: boolean;
}

/** Every file below `dir` but lock files, with its size: what a command that changes nothing leaves as it was. */
async function contents(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const path of (await readdir(dir, { recursive: true })).sort()) {
    if (path.startsWith('locks')) continue;
    const info = await stat(join(dir, path));
    if (info.isFile()) out.push(`${path} ${info.size}`);
  }
  return out;
}

/** Restores `snapshot` of the repository at `repo` with the CLI and returns the hashes of the files of `name` in it. */
async function restoredBy(home: string, repo: string, snapshot: string, name: string, env: Record<string, string> = {}): Promise<Map<string, string>> {
  const out = join(home, `out-${Math.random().toString(36).slice(2)}`);
  const run = await cairn(['--repo', repo, 'restore', snapshot, '--target', out], { home, env });
  expect(run.code, run.stderr).toBe(0);
  return fileHashes(join(out, name));
}

describe('cairn copy', () => {
  it('selects with --host, --tag and latest, skips what the destination holds, and a second copy adds nothing', async () => {
    const home = await tempDir();
    const src = join(home, 'src');
    const dst = join(home, 'dst');
    const tree = join(home, 'tree');
    const from = await initRepository(createLocalBackend(src), SMALL);
    await writeFiles(tree, 1, 8, 30_000);
    const s1 = await backup(from, { source: createLocalSource(), paths: [tree], hostname: 'h1', tags: ['a'], time: new Date('2026-01-01T00:00:00Z') });
    await writeFile(join(tree, 'f0.bin'), seededBytes(40_000, 5));
    const s2 = await backup(from, { source: createLocalSource(), paths: [tree], hostname: 'h1', tags: ['b'], time: new Date('2026-01-02T00:00:00Z') });
    await writeFile(join(tree, 'f1.bin'), seededBytes(40_000, 6));
    const s3 = await backup(from, { source: createLocalSource(), paths: [tree], hostname: 'h2', tags: ['a'], time: new Date('2026-01-03T00:00:00Z') });
    await initRepository(createLocalBackend(dst), SMALL);
    const copy = async (...args: string[]): Promise<CopySummary> => {
      const run = await cairn(['--repo', dst, 'copy', '--from-repo', src, '--json', ...args], { home });
      expect(run.code, run.stderr).toBe(0);
      return jsonSummary(run.stdout) as CopySummary;
    };

    const latestOfH1 = await copy('--host', 'h1', 'latest');
    expect(latestOfH1.copied).toEqual([{ source: s2.id, destination: s2.id }]);
    // Into an empty unencrypted repository the packs s2 uses whole are copied as they are (not
    // the one that also holds s1's old f0.bin: its other blobs are stored in a new pack).
    expect(latestOfH1.packsCopiedWhole).toBeGreaterThan(0);
    expect(latestOfH1.packsCopiedWhole).toBeLessThan(latestOfH1.packsAdded);
    const taggedA = await copy('--tag', 'a');
    expect(taggedA.copied.map((c) => c.source)).toEqual([s1.id, s3.id]);
    // s1 shares most data with s2, already there: only what differs is read.
    expect(taggedA.bytesRead).toBeLessThan(200_000);
    const rest = await copy();
    expect(rest.copied).toEqual([]);
    expect(rest.skipped.map((s) => s.source)).toEqual([s1.id, s2.id, s3.id]);
    const before = await contents(dst);
    const again = await copy();
    expect(again.copied).toEqual([]);
    expect(again.dataBlobsAdded + again.bytesRead).toBe(0);
    expect(await contents(dst)).toEqual(before);
    expect((await listSnapshots(await openRepository(createLocalBackend(dst)))).snapshots.map((s) => s.id)).toEqual([s1.id, s2.id, s3.id]);
    expect(await restoredBy(home, dst, s3.id.slice(0, 8), 'tree')).toEqual(await fileHashes(tree));

    const text = await cairn(['--repo', dst, 'copy', '--from-repo', src, '--host', 'h2'], { home });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(`skipped snapshot ${s3.id.slice(0, 8)}: the destination holds it already (${s3.id.slice(0, 8)})\ncopied 0 snapshots, skipped 1; added 0 data blobs and 0 trees, 0 B in 0 packs (read 0 B of data from the source)\n`);
  }, 120_000);

  it('copies unencrypted → encrypted → unencrypted: each restores byte-exact, check --read-data is clean, ids come back', async () => {
    const home = await tempDir();
    const tree = join(home, 'tree');
    await writeFiles(tree, 2, 10, 50_000);
    const plain = join(home, 'plain');
    const sealed = join(home, 'sealed');
    const back = join(home, 'back');
    const first = await backup(await initRepository(createLocalBackend(plain), SMALL), { source: createLocalSource(), paths: [tree], tags: ['x'] });
    await initRepository(createLocalBackend(sealed), { ...SMALL, password: 'secret', kdf: FAST_KDF });
    await initRepository(createLocalBackend(back), SMALL);

    const toSealed = await cairn(['--repo', sealed, 'copy', '--from-repo', plain, '--json'], { home, env: { CAIRN_PASSWORD: 'secret' } });
    expect(toSealed.code, toSealed.stderr).toBe(0);
    const sealedCopy = (jsonSummary(toSealed.stdout) as CopySummary).copied[0]!;
    expect(sealedCopy.destination).not.toBe(first.id);
    await writeFile(join(home, 'pw'), 'secret\n');
    const toBack = await cairn(['--repo', back, 'copy', '--from-repo', sealed, '--from-password-file', join(home, 'pw')], { home });
    expect(toBack.code, toBack.stderr).toBe(0);
    expect(toBack.stdout).toMatch(/^note: the two repositories name content with different keys/m);
    const hashes = await fileHashes(tree);
    expect(await restoredBy(home, sealed, 'latest', 'tree', { CAIRN_PASSWORD: 'secret' })).toEqual(hashes);
    expect(await restoredBy(home, back, 'latest', 'tree')).toEqual(hashes);
    for (const [repo, env] of [[sealed, { CAIRN_PASSWORD: 'secret' }], [back, {}]] as const) {
      const checked = await cairn(['--repo', repo, 'check', '--read-data'], { home, env });
      expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    }
    // Back in an unencrypted repository the trees and data have their SHA-256 ids again.
    const [snapshot] = (await listSnapshots(await openRepository(createLocalBackend(back)))).snapshots;
    expect(Buffer.from(snapshot!.snapshot.tree)).toEqual(Buffer.from(first.snapshot.tree));
  }, 120_000);

  it('between repositories with other chunker parameters: copies the blobs as they are, restores exactly, and says what that costs', async () => {
    const home = await tempDir();
    const tree = join(home, 'tree');
    await writeFiles(tree, 5, 4, 40_000);
    const src = join(home, 'src');
    const dst = join(home, 'dst');
    await backup(await initRepository(createLocalBackend(src), SMALL), { source: createLocalSource(), paths: [tree] });
    await initRepository(createLocalBackend(dst));
    const run = await cairn(['--repo', dst, 'copy', '--from-repo', src], { home });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^note: the two repositories cut files with different chunker parameters: blobs were copied as they are, so a later backup of the same files into this repository stores their data again \(once\)/m);
    expect(run.stdout).not.toMatch(/copied as they are\)/); // no pack file is copied as it is between them
    expect(await restoredBy(home, dst, 'latest', 'tree')).toEqual(await fileHashes(tree));
  }, 60_000);

  it('a snapshot whose data is damaged in the source is named and left out, the others are copied: exit 3', async () => {
    const home = await tempDir();
    const src = join(home, 'src');
    const dst = join(home, 'dst');
    const from = await initRepository(createLocalBackend(src), SMALL);
    await writeFiles(join(home, 'one'), 6, 3, 30_000);
    await writeFiles(join(home, 'two'), 7, 3, 30_000);
    const good = await backup(from, { source: createLocalSource(), paths: [join(home, 'one')] });
    const packsBefore = new Set(await readdir(join(src, 'data'), { recursive: true }));
    const bad = await backup(from, { source: createLocalSource(), paths: [join(home, 'two')] });
    const added = (await readdir(join(src, 'data'), { recursive: true })).filter((path) => !packsBefore.has(path) && path.includes('/'));
    const sizes = await Promise.all(added.map(async (path) => ({ path, size: (await stat(join(src, 'data', path))).size })));
    const largest = sizes.sort((a, b) => b.size - a.size)[0]!; // a data pack of the second backup
    const bytes = await readFile(join(src, 'data', largest.path));
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(join(src, 'data', largest.path), bytes);
    await initRepository(createLocalBackend(dst), SMALL);
    const run = await cairn(['--repo', dst, 'copy', '--from-repo', src], { home });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^error: snapshot ${bad.id.slice(0, 8)} was not copied: .*${largest.path.split('/').at(-1)!}.* is damaged`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^copied snapshot ${good.id.slice(0, 8)}\n`));
    expect((await listSnapshots(await openRepository(createLocalBackend(dst)))).snapshots.map((s) => s.id)).toEqual([good.id]);
  }, 60_000);

  it('a wrong source location or password is one error line and exit 1, and changes nothing', async () => {
    const home = await tempDir();
    const tree = join(home, 'tree');
    await writeFiles(tree, 3, 3, 10_000);
    const sealed = join(home, 'sealed');
    const dst = join(home, 'dst');
    await backup(await initRepository(createLocalBackend(sealed), { password: 'secret', kdf: FAST_KDF }), { source: createLocalSource(), paths: [tree] });
    await initRepository(createLocalBackend(dst));
    const before = [await contents(dst), await contents(sealed)];
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--from-repo', join(home, 'nowhere')], {}, /^cairn: source repository: no cairn repository at .*nowhere/],
      [['--from-repo', sealed], { CAIRN_FROM_PASSWORD: 'wrong' }, /^cairn: source repository: no key matches the password/],
      [['--from-repo', sealed], {}, /^cairn: the source repository at .* is encrypted: no password was given for it/],
      [['--from-repo', 'sftp:'], {}, /^cairn: repository location "sftp:" names no/],
      [[], {}, /^cairn: copy needs the repository to copy from/],
    ];
    for (const [args, env, message] of cases) {
      const run = await cairn(['--repo', dst, 'copy', ...args], { home, env });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(message);
      expect(lines.slice(1).every((line) => line.startsWith('hint: ')), run.stderr).toBe(true);
      expect([await contents(dst), await contents(sealed)]).toEqual(before);
      expect(await readdir(join(dst, 'locks'))).toEqual([]);
    }
  }, 60_000);

  for (const encrypted of [true, false]) it(`kill -9 mid-copy into ${encrypted ? 'an encrypted repository (blob by blob)' : 'an unencrypted one (packs copied as they are)'} leaves the destination consistent; the next copy finishes it and check --read-data is clean`, async () => {
    const home = await tempDir();
    const tree = join(home, 'tree');
    const src = join(home, 'src');
    const dst = join(home, 'dst');
    await writeFiles(tree, 4, 80, 60_000); // ~7 MB: over a hundred small packs
    const from = await initRepository(createLocalBackend(src), SMALL);
    const made = await backup(from, { source: createLocalSource(), paths: [tree] });
    await initRepository(createLocalBackend(dst), encrypted ? { ...SMALL, password: 'secret', kdf: FAST_KDF } : SMALL);
    const env: Record<string, string> = encrypted ? { CAIRN_PASSWORD: 'secret' } : {};
    const args = ['--repo', dst, 'copy', '--from-repo', src, '--json'];
    let killed = 0;
    for (let round = 0; round < 3; round += 1) {
      const run = startCli(args, env);
      // Killed once the copy is under way (its first status line), a little later each round.
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer): void => {
          if (chunk.toString().includes('"type":"status"')) {
            run.child.stdout?.off('data', onData);
            resolve();
          }
        };
        run.child.stdout?.on('data', onData);
        void run.done.then(() => resolve());
      });
      await sleep(50 + round * 150);
      run.child.kill('SIGKILL');
      const end = await run.done;
      if (end.signal !== 'SIGKILL') break; // finished before the kill: nothing left to resume
      killed += 1;
      // Whatever the kill left: no snapshot without its data (check finds no damage).
      const checked = await cairn(['--repo', dst, 'check'], { home, env });
      expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    }
    expect(killed).toBeGreaterThan(0);
    const resumed = await cairn(args, { home, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = jsonSummary(resumed.stdout) as CopySummary;
    expect(summary.copied.length + summary.skipped.length).toBe(1);
    if (!encrypted) {
      // Packs copied as they are (by whichever run got to them) keep their names.
      const names = async (repo: string): Promise<Set<string>> => new Set((await readdir(join(repo, 'data'), { recursive: true })).map((path) => path.split('/').at(-1)!).filter((name) => /^[0-9a-f]{64}$/.test(name)));
      const fromSource = await names(src);
      expect([...(await names(dst))].filter((name) => fromSource.has(name)).length).toBeGreaterThan(0);
    }
    const checked = await cairn(['--repo', dst, 'check', '--read-data'], { home, env });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    // The temporary files the kills left are gone (the resumed copy removed them, as a backup does).
    expect((await readdir(dst, { recursive: true })).filter((path) => path.split('/').some((part) => part.startsWith('.tmp-')))).toEqual([]);
    expect(await restoredBy(home, dst, 'latest', 'tree', env)).toEqual(await fileHashes(tree));
    const snapshots = (await listSnapshots(await openRepository(createLocalBackend(dst), { password: async () => 'secret' }))).snapshots;
    expect(snapshots).toHaveLength(1);
    if (encrypted) expect(snapshots[0]!.snapshot.meta['copied-from']).toBe(made.id);
    else expect(snapshots[0]!.id).toBe(made.id);
    // A copy after that adds nothing.
    const again = jsonSummary((await cairn(args, { home, env })).stdout) as CopySummary;
    expect(again.copied).toEqual([]);
  }, 180_000);
});
