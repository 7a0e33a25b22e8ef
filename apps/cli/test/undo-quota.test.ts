import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, lstat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, tempDir } from './run-cli.js';

/** Content hash, mode and mtime (µs) of every entry below `dir`, by relative path. */
async function state(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of (await readdir(dir, { recursive: true })).sort()) {
    const stat = await lstat(join(dir, rel), { bigint: true });
    const content = stat.isFile() ? createHash('sha256').update(await readFile(join(dir, rel))).digest('hex') : stat.isDirectory() ? 'dir' : 'other';
    out[rel] = `${content} ${stat.mode.toString(8)}${stat.isFile() ? ` ${stat.mtimeNs / 1000n}` : ''}`; // restores set mtimes to the microsecond (Node's lutimes)
  }
  return out;
}

async function setup() {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]) => cairn(['--repo', repo, ...args], { home });
  expect((await run('init')).code).toBe(0);
  return { home, repo, run };
}

describe('cairn restore --backup-existing', () => {
  it('backs up what the restore overwrites as a pre-restore snapshot; restoring that snapshot puts the folder back exactly', async () => {
    const { home, run } = await setup();
    const target = join(home, 'work');
    const proj = join(target, 'proj');
    await mkdir(join(proj, 'sub'), { recursive: true });
    await writeFile(join(proj, 'a.txt'), 'version one\n');
    await writeFile(join(proj, 'sub', 'b.bin'), Buffer.alloc(300_000, 1));
    await writeFile(join(proj, 'sub', 'same.txt'), 'unchanged\n');
    await writeFile(join(proj, 'keep.txt'), 'not in the restore\n');
    const backup = await run('backup', proj, '--json');
    expect(backup.code, backup.stderr).toBe(0);
    const snapshotId = (JSON.parse(backup.stdout) as { id: string }).id;

    // Work goes on: files change, one appears.
    await writeFile(join(proj, 'a.txt'), 'version two, longer\n');
    await writeFile(join(proj, 'sub', 'b.bin'), Buffer.alloc(250_000, 2));
    await writeFile(join(proj, 'extra.txt'), 'new file\n');
    await utimes(join(proj, 'a.txt'), new Date('2020-05-06T07:08:09Z'), new Date('2020-05-06T07:08:09Z'));
    const before = await state(target);

    const restored = await run('restore', snapshotId, '--target', target, '--backup-existing', '--overwrite', 'if-changed');
    expect(restored.code, restored.stderr).toBe(0);
    const match = /snapshot ([0-9a-f]{8}) \(tag pre-restore\); undo with: cairn restore ([0-9a-f]{8}) --target /.exec(restored.stdout);
    expect(match, restored.stdout).not.toBeNull();
    const preId = match?.[1] ?? '';
    expect(await readFile(join(proj, 'a.txt'), 'utf8')).toBe('version one\n');
    expect(await state(target)).not.toEqual(before);

    // The pre-restore snapshot holds only what was overwritten, tagged and naming the restore.
    const cat = JSON.parse((await run('cat', 'snapshot', preId)).stdout) as { tags: string[]; meta: Record<string, string>; paths: string[] };
    expect(cat.tags).toEqual(['pre-restore']);
    expect(cat.meta).toEqual({ 'restore.snapshot': snapshotId, 'restore.target': target });
    expect(cat.paths).toEqual([proj]);
    const listed = (JSON.parse((await run('ls', preId, '--json')).stdout) as { path: string }[]).map((e) => e.path).sort();
    expect(listed).toEqual(['proj', 'proj/a.txt', 'proj/sub', 'proj/sub/b.bin']);

    const undo = await run('restore', match?.[2] ?? '', '--target', target);
    expect(undo.code, undo.stderr).toBe(0);
    expect(await state(target)).toEqual(before);
  });

  it('makes no snapshot when nothing is overwritten, and changes nothing when the snapshot does not exist', async () => {
    const { home, run } = await setup();
    const proj = join(home, 'proj');
    await mkdir(proj);
    await writeFile(join(proj, 'a.txt'), 'a\n');
    const id = (JSON.parse((await run('backup', proj, '--json')).stdout) as { id: string }).id;
    const empty = join(home, 'empty');
    const fresh = await run('restore', id, '--target', empty, '--backup-existing');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/overwrote nothing: no pre-restore snapshot/);
    expect(JSON.parse((await run('snapshots', '--json')).stdout)).toHaveLength(1);

    const missing = await run('restore', 'abcdef', '--target', proj, '--backup-existing');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/abcdef/);
    expect(JSON.parse((await run('snapshots', '--json')).stdout)).toHaveLength(1);
    expect(await readFile(join(proj, 'a.txt'), 'utf8')).toBe('a\n');
  });
});

describe('cairn init --max-size, cairn config, forget with the stored policy', () => {
  it('stores and changes the size limit and the retention policy; forget without --keep-* applies the stored one', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    const run = (...args: string[]) => cairn(['--repo', repo, ...args], { home });
    const init = await run('init', '--max-size', '2G');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('size limit: 2147483648 bytes (2.0 GiB)');
    expect(JSON.parse(await readFile(join(repo, 'config'), 'utf8'))).toMatchObject({ maxSize: { bytes: 2 * 2 ** 30 } });
    expect((await run('config', 'max-size', '75%')).code).toBe(0);
    const retention = await run('config', 'retention', '--keep-last', '2', '--keep-within', '1y');
    expect(retention.code, retention.stderr).toBe(0);
    expect(JSON.parse((await run('config', '--json')).stdout)).toEqual({ maxSize: { percent: 75 }, retention: { last: 2, within: '1y' } });

    const dir = join(home, 'd');
    await mkdir(dir);
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      await writeFile(join(dir, 'f.txt'), `round ${i}\n`);
      const b = await run('backup', dir, '--json', '--time', `201${i}-01-01T00:00:00Z`);
      expect(b.code, b.stderr).toBe(0);
      ids.push((JSON.parse(b.stdout) as { id: string }).id);
    }
    const forget = await run('forget', '--json');
    expect(forget.code, forget.stderr).toBe(0);
    expect((JSON.parse(forget.stdout) as { removed: string[] }).removed.sort()).toEqual(ids.slice(0, 2).sort());

    expect((await run('config', 'max-size', 'none')).code).toBe(0);
    expect((await run('config', 'retention', '--none')).code).toBe(0);
    const config = JSON.parse(await readFile(join(repo, 'config'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(config)).not.toContain('maxSize');
    expect(Object.keys(config)).not.toContain('retention');
  });

  it('refuses bad values with exit 1 and changes nothing', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    const run = (...args: string[]) => cairn(['--repo', repo, ...args], { home });
    const bad = await run('init', '--max-size', '12 parsecs');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"12 parsecs"');
    expect(await readdir(home)).not.toContain('repo');
    expect((await run('init')).code).toBe(0);
    const config = await readFile(join(repo, 'config'), 'utf8');
    for (const args of [['config', 'max-size', '150%'], ['config', 'retention'], ['config', 'retention', '--keep-last', 'x'], ['config', 'retention', '--none', '--keep-last', '1']]) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(/^cairn: /);
    }
    expect(await readFile(join(repo, 'config'), 'utf8')).toBe(config);
  });
});
