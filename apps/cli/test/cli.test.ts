import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonError, jsonItems, jsonSummary, tempDir } from './run-cli.js';

async function project(root: string): Promise<void> {
  await mkdir(join(root, 'src', 'empty'), { recursive: true });
  await writeFile(join(root, 'src', 'index.ts'), 'console.log("hello");\n');
  await writeFile(join(root, 'README.md'), '# project\n');
  await writeFile(join(root, 'data.bin'), Buffer.alloc(300_000, 7));
}

describe('cairn command', () => {
  it('backs up into the default repository (creating it and saying where), lists, restores and checks', async () => {
    const home = await tempDir();
    await project(join(home, 'proj'));
    const defaultRepo = join(home, 'data', 'cairn', 'repo');

    const first = await cairn(['backup', join(home, 'proj'), '--tag', 'demo', '--meta', 'client=acme'], { home });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`created a new repository at ${defaultRepo}`);
    expect(first.stdout).toMatch(/snapshot [0-9a-f]{8} saved/);
    expect(first.stdout).toContain('3 new');

    const list = await cairn(['snapshots'], { home });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('demo');
    expect(list.stdout).toContain(join(home, 'proj'));

    const json = await cairn(['snapshots', '--json'], { home });
    const snapshots = jsonItems(json.stdout, 'snapshot') as { id: string; tags: string[]; meta: Record<string, string> }[];
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]?.tags).toEqual(['demo']);
    expect(snapshots[0]?.meta).toEqual({ client: 'acme' });
    const id = snapshots[0]?.id ?? '';
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ls = await cairn(['ls', id.slice(0, 8)], { home });
    expect(ls.stdout.split('\n')).toEqual(expect.arrayContaining(['proj/', 'proj/src/', 'proj/src/empty/', 'proj/src/index.ts', 'proj/data.bin']));

    const out = join(home, 'out');
    const restored = await cairn(['restore', 'latest', '--target', out], { home });
    expect(restored.code).toBe(0);
    expect(await readFile(join(out, 'proj', 'src', 'index.ts'), 'utf8')).toBe('console.log("hello");\n');
    expect(await readdir(join(out, 'proj', 'src', 'empty'))).toEqual([]);

    const check = await cairn(['check', '--read-data'], { home });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('no errors found');

    const stats = jsonSummary((await cairn(['stats', '--json'], { home })).stdout) as { snapshots: number; restoreFiles: number };
    expect(stats).toMatchObject({ snapshots: 1, restoreFiles: 3 });

    const config = JSON.parse((await cairn(['cat', 'config'], { home })).stdout) as { version: number; encryption: string };
    expect(config).toMatchObject({ version: 3, deltas: true, groups: true, encryption: 'none' });
    const snap = jsonSummary((await cairn(['cat', 'snapshot', 'latest', '--json'], { home })).stdout) as { id: string; tree: string };
    expect(snap.id).toBe(id);
    const tree = JSON.parse((await cairn(['cat', 'tree', snap.tree], { home })).stdout) as { nodes: { name: string }[] };
    expect(tree.nodes.map((n) => n.name)).toEqual(['proj']);

    // The second backup finds its parent and stores nothing new.
    const second = await cairn(['backup', join(home, 'proj'), '--json'], { home });
    const summary = jsonSummary(second.stdout) as { summary: { filesUnchanged: number; bytesAdded: number } };
    expect(summary.summary).toMatchObject({ filesUnchanged: 3, bytesAdded: 0 });
  });

  it('never backs the repository up into itself', async () => {
    const home = await tempDir();
    await project(join(home, 'proj'));
    expect((await cairn(['backup', join(home, 'proj')], { home })).code).toBe(0); // creates home/data/cairn/repo
    const run = await cairn(['backup', home], { home });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`note: not backing up the repository itself (${join(home, 'data', 'cairn', 'repo')})`);
    const ls = (await cairn(['ls', 'latest'], { home })).stdout.split('\n');
    expect(ls).toContain(`${home.split('/').pop()}/proj/src/index.ts`);
    expect(ls).toContain(`${home.split('/').pop()}/data/cairn/`);
    expect(ls.filter((line) => line.includes('cairn/repo'))).toEqual([]);
  });

  it('documents its exit codes and the default repository in --help', async () => {
    const home = await tempDir();
    const help = await cairn(['--help'], { home });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/3\s+partial/);
    expect(help.stdout).toContain(join(home, 'data', 'cairn', 'repo'));
  });

  it('exit 1 and no repository created when the path to back up does not exist', async () => {
    const home = await tempDir();
    const run = await cairn(['backup', join(home, 'missing')], { home });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(join(home, 'missing'));
    expect(existsSync(join(home, 'data'))).toBe(false);
  });

  it('exit 1 naming the problem for --repo at a file, at a plain folder, and at a version-99 repository', async () => {
    const home = await tempDir();
    await project(join(home, 'proj'));
    await writeFile(join(home, 'a-file'), 'x');
    const atFile = await cairn(['backup', join(home, 'proj'), '--repo', join(home, 'a-file')], { home });
    expect(atFile.code).toBe(1);
    expect(atFile.stderr).toContain(`no cairn repository at ${join(home, 'a-file')}`);
    expect(await readFile(join(home, 'a-file'), 'utf8')).toBe('x');

    await mkdir(join(home, 'plain'));
    const plain = await cairn(['snapshots'], { home, env: { CAIRN_REPO: join(home, 'plain') } });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('cairn init');
    expect(await readdir(join(home, 'plain'))).toEqual([]);

    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home })).code).toBe(0);
    const config = JSON.parse(await readFile(join(repo, 'config'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(repo, 'config'), JSON.stringify({ ...config, version: 99 }));
    const future = await cairn(['backup', join(home, 'proj'), '--repo', repo, '--json'], { home });
    expect(future.code).toBe(1);
    expect(jsonError(future.stderr)).toMatchObject({ error: { code: 'ERR_VERSION', message: expect.stringMatching(/version 99/) } });
    expect(await readdir(join(repo, 'snapshots'))).toEqual([]);
  });

  it('exit 3 when a file cannot be read: the warning names it and the rest is backed up', async () => {
    const home = await tempDir();
    await project(join(home, 'proj'));
    await writeFile(join(home, 'proj', 'locked.txt'), 'no entry');
    await chmod(join(home, 'proj', 'locked.txt'), 0o000);
    // Root reads anything: run the backup as an unprivileged user when we are root.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', '65534:65534', home]);
      await chown(join(home, 'proj', 'locked.txt'), 0, 0);
    }
    const run = await cairn(['backup', join(home, 'proj')], { home, ...asUser });
    // One line naming the file once, and a partial count that leaves out mere notes.
    expect(run.stderr).toContain(`warning: ${join(home, 'proj', 'locked.txt')}: permission denied\n`);
    expect(run.stdout).toContain('partial: 1 file could not be read, or changed while read');
    expect(run.code).toBe(3);
    const ls = await cairn(['ls', 'latest'], { home, ...asUser });
    expect(ls.stdout).toContain('proj/src/index.ts');
    expect(ls.stdout).not.toContain('locked.txt');
  });

  it('records a fifo with a warning and never blocks on it', async () => {
    const home = await tempDir();
    await project(join(home, 'proj'));
    execFileSync('mkfifo', [join(home, 'proj', 'pipe')]);
    const run = await cairn(['backup', join(home, 'proj')], { home });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`warning: ${join(home, 'proj', 'pipe')}: fifo recorded without content\n`);
    expect(run.stdout).not.toContain('partial');
    const ls = await cairn(['ls', 'latest', 'proj/pipe', '-l'], { home });
    expect(ls.stdout).toMatch(/^p/);
  }, 20_000);

  it('exit 3 from a restore that meets a damaged pack, with the good files restored', async () => {
    const home = await tempDir();
    await project(join(home, 'proj'));
    await writeFile(join(home, 'proj', 'zz-unique.bin'), Buffer.from('unique content that will be damaged '.repeat(100)));
    expect((await cairn(['backup', join(home, 'proj')], { home })).code).toBe(0);
    const repo = join(home, 'data', 'cairn', 'repo');
    // Damage the data pack (the one whose header lists data blobs): overwrite its first bytes.
    let dataPack = '';
    for (const dir of await readdir(join(repo, 'data'))) {
      for (const name of await readdir(join(repo, 'data', dir))) {
        const pack = JSON.parse((await cairn(['cat', 'pack', name], { home })).stdout) as { blobs: { type: string }[] };
        if (pack.blobs.some((b) => b.type === 'data')) dataPack = join(repo, 'data', dir, name);
      }
    }
    const handle = await open(dataPack, 'r+');
    await handle.write(Buffer.from([0xff, 0xfe, 0xfd]), 0, 3, 0);
    await handle.close();

    const check = await cairn(['check', '--read-data'], { home });
    expect(check.code).toBe(1);
    const errors = check.stdout.split('\n').filter((line) => line.startsWith('error: '));
    expect(errors.length).toBeGreaterThan(0);
    for (const line of errors) expect(line.split(dataPack.slice(repo.length + 1)).length - 1, line).toBe(1);

    const restored = await cairn(['restore', 'latest', '--target', join(home, 'out')], { home });
    expect(restored.code).toBe(3);
    expect(restored.stderr).toMatch(/error: proj\/\S+: .*data\/[0-9a-f]{2}\/[0-9a-f]{64}/);
    expect(await readdir(join(home, 'out', 'proj', 'src'))).toContain('empty');
  });
});
