import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonItems, jsonSummary, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

interface Listed {
  readonly id: string;
  readonly hostname: string;
  readonly paths: string[];
  readonly tags: string[];
}

/**
 * A repository with four snapshots: proj on laptop (tag daily), other on laptop, proj on desktop
 * (notes changed), other on laptop again; each a day apart, in that order.
 */
async function setup() {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home });
  const runIn = (cwd: string, ...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home, cwd });
  const proj = join(home, 'proj');
  const other = join(home, 'other');
  await mkdir(join(proj, 'sub'), { recursive: true });
  await mkdir(other);
  await writeFile(join(proj, 'notes.txt'), 'laptop notes\n');
  await writeFile(join(proj, 'sub', 'data.bin'), Buffer.alloc(100_000, 3));
  await writeFile(join(other, 'readme.txt'), 'other folder\n');
  expect((await run('init')).code).toBe(0);
  const backup = async (...args: string[]): Promise<string> => {
    const done = await run('backup', '--json', '--quiet', ...args);
    expect(done.code, done.stderr).toBe(0);
    return (jsonSummary(done.stdout) as { id: string }).id;
  };
  const laptopProj = await backup(proj, '--host', 'laptop', '--tag', 'daily', '--time', '2024-01-01T10:00:00Z');
  const laptopOther = await backup(other, '--host', 'laptop', '--time', '2024-01-02T10:00:00Z');
  await writeFile(join(proj, 'notes.txt'), 'desktop notes, changed\n');
  const desktopProj = await backup(proj, '--host', 'desktop', '--time', '2024-01-03T10:00:00Z');
  const laptopOther2 = await backup(other, '--host', 'laptop', '--time', '2024-01-04T10:00:00Z');
  const list = async (...args: string[]): Promise<Listed[]> => {
    const done = await run('snapshots', '--json', ...args);
    expect(done.code, done.stderr).toBe(0);
    return jsonItems(done.stdout, 'snapshot') as Listed[];
  };
  return { home, repo, run, runIn, proj, other, list, ids: { laptopProj, laptopOther, desktopProj, laptopOther2 } };
}

describe('snapshot filters: --host, --path, --tag', () => {
  it('restore latest --path picks the newest snapshot of that folder, though another folder was backed up later', async () => {
    const { home, run, runIn, proj } = await setup();
    // Without a filter, latest is the later backup of the other folder: the file is not in it.
    const plain = await run('restore', 'latest', '--target', join(home, 'out0'), 'proj/notes.txt');
    expect(await readdir(join(home, 'out0')).catch(() => [])).not.toContain('proj');
    expect(plain.stdout).not.toContain('restored 1 files');

    const picked = await run('restore', 'latest', '--path', proj, '--target', join(home, 'out1'), 'proj/notes.txt');
    expect(picked.code, picked.stderr).toBe(0);
    expect(await readFile(join(home, 'out1', 'proj', 'notes.txt'), 'utf8')).toBe('desktop notes, changed\n');
    // A relative --path starts at the current folder.
    const relative = await runIn(home, 'restore', 'latest', '--path', 'proj', '--host', 'laptop', '--target', join(home, 'out2'));
    expect(relative.code, relative.stderr).toBe(0);
    expect(await readFile(join(home, 'out2', 'proj', 'notes.txt'), 'utf8')).toBe('laptop notes\n');
  });

  it('--host and --tag narrow latest for restore, ls, stats, cat and device restore; a named snapshot must match them too', async () => {
    const { home, run, proj, ids } = await setup();
    const desk = await run('restore', 'latest', '--host', 'desktop', '--target', join(home, 'd'));
    expect(desk.code, desk.stderr).toBe(0);
    expect(desk.stdout).toContain(`from ${ids.desktopProj.slice(0, 8)} to`);
    expect(await readFile(join(home, 'd', 'proj', 'notes.txt'), 'utf8')).toBe('desktop notes, changed\n');

    const tagged = await run('ls', 'latest', '--tag', 'daily', '--json');
    expect(tagged.code, tagged.stderr).toBe(0);
    expect((jsonItems(tagged.stdout, 'entry') as { path: string }[]).map((e) => e.path)).toContain('proj/notes.txt');

    const stats = await run('stats', 'latest', '--host', 'laptop', '--path', proj, '--json');
    expect((jsonSummary(stats.stdout) as { id: string }).id).toBe(ids.laptopProj);
    const cat = await run('cat', 'snapshot', 'latest', '--host', 'laptop', '--host', 'desktop', '--path', proj);
    expect((JSON.parse(cat.stdout) as { hostname: string }).hostname).toBe('desktop'); // cat prints the object itself

    const none = await run('restore', 'latest', '--tag', 'weekly', '--target', join(home, 'n'));
    expect(none.code).toBe(1);
    expect(none.stderr.split('\n')[0]).toBe('cairn: no snapshot matches tags weekly, so there is no "latest" of them');
    expect(await readdir(home)).not.toContain('n');

    const board = await run('device', 'restore', 'latest', '--port', 'sim', '--sim-root', join(home, 'board'), '--host', 'nowhere');
    expect(board.code).toBe(1);
    expect(board.stderr.split('\n')[0]).toBe('cairn: no snapshot matches host nowhere, so there is no "latest" of them');

    const mismatch = await run('ls', ids.laptopOther.slice(0, 8), '--host', 'desktop');
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr.split('\n')[0]).toBe(`cairn: snapshot ${ids.laptopOther.slice(0, 8)} does not match host desktop`);
  });

  it('snapshots: filters, --latest N per host and paths, --group-by with a header per group, --compact, short ids', async () => {
    const { run, list, proj, other, ids } = await setup();
    expect((await list('--path', proj)).map((s) => s.id)).toEqual([ids.laptopProj, ids.desktopProj]);
    expect((await list('--host', 'laptop', '--tag', 'daily')).map((s) => s.id)).toEqual([ids.laptopProj]);
    expect((await list('--tag', '')).map((s) => s.id)).toEqual([ids.laptopOther, ids.desktopProj, ids.laptopOther2]);
    expect((await list('--latest', '1')).map((s) => s.id)).toEqual([ids.laptopProj, ids.desktopProj, ids.laptopOther2]);
    expect((await list('--latest', '1', '--host', 'laptop')).map((s) => s.id)).toEqual([ids.laptopProj, ids.laptopOther2]);

    const grouped = await run('snapshots', '--json', '--group-by', 'host', '--latest', '1');
    expect(jsonItems(grouped.stdout, 'group')).toEqual([
      { key: { hostname: 'laptop' }, snapshots: [expect.objectContaining({ id: ids.laptopProj }), expect.objectContaining({ id: ids.laptopOther2 })] },
      { key: { hostname: 'desktop' }, snapshots: [expect.objectContaining({ id: ids.desktopProj })] },
    ]);
    const human = await run('snapshots', '--group-by', 'host,paths');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`snapshots of host laptop, paths ${proj}:`);
    expect(human.stdout).toContain(`snapshots of host laptop, paths ${other}:`);
    expect(human.stdout).toContain(`snapshots of host desktop, paths ${proj}:`);
    expect(human.stdout).toContain('4 snapshots in 3 groups');

    const table = await run('snapshots');
    const rows = table.stdout.split('\n').filter((line) => /^[0-9a-f]{8}  /.test(line));
    expect(rows.map((row) => row.split(' ')[0])).toEqual([ids.laptopProj, ids.laptopOther, ids.desktopProj, ids.laptopOther2].map((id) => id.slice(0, 8)));
    expect(table.stdout).not.toMatch(/[0-9a-f]{9}/);
    const compact = await run('snapshots', '--compact');
    expect(compact.stdout.split('\n')[0]).toMatch(/^ID\s+Time\s+Host\s+Tags$/);
    expect(compact.stdout).not.toContain(proj);

    const bad = await run('snapshots', '--latest', '0');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--latest wants a number of snapshots (1 or more), not "0"');
    const badGroup = await run('snapshots', '--group-by', 'color');
    expect(badGroup.code).toBe(1);
    expect(badGroup.stderr).toContain('--group-by takes host, paths and/or tags');
  });
});

describe('cairn tag', () => {
  it('rewrites a snapshot with its new tags: the old id is gone, the new one restores the same data, check stays clean', async () => {
    const { home, repo, run, list, ids } = await setup();
    const added = await run('tag', ids.laptopProj.slice(0, 8), '--add', 'keep,archive');
    expect(added.code, added.stderr).toBe(0);
    const after = await list();
    const rewritten = after.find((s) => s.hostname === 'laptop' && s.tags.includes('keep'));
    expect(rewritten?.tags).toEqual(['daily', 'keep', 'archive']);
    const newId = rewritten?.id ?? '';
    expect(newId).not.toBe(ids.laptopProj);
    expect(after.map((s) => s.id)).not.toContain(ids.laptopProj);
    expect(after).toHaveLength(4);
    expect(added.stdout).toContain(`rewrote snapshot ${ids.laptopProj.slice(0, 8)} -> ${newId.slice(0, 8)}, tags now daily,keep,archive`);
    expect(await readdir(join(repo, 'locks'))).toEqual([]);

    const restored = await run('restore', newId.slice(0, 8), '--target', join(home, 'out'));
    expect(restored.code, restored.stderr).toBe(0);
    expect(await readFile(join(home, 'out', 'proj', 'notes.txt'), 'utf8')).toBe('laptop notes\n');
    expect(await readFile(join(home, 'out', 'proj', 'sub', 'data.bin'))).toEqual(Buffer.alloc(100_000, 3));
    const checked = await run('check', '--read-data');
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);

    // --remove, then --set, then --set "" (no tags); a change that changes nothing leaves the snapshot alone.
    const removed = await run('tag', newId, '--remove', 'daily', '--json');
    const step2 = jsonSummary(removed.stdout) as { rewritten: { oldId: string; newId: string; tags: string[] }[] };
    expect(step2.rewritten).toEqual([{ oldId: newId, newId: expect.stringMatching(/^[0-9a-f]{64}$/), tags: ['keep', 'archive'] }]);
    const id3 = step2.rewritten[0]?.newId ?? '';
    const same = await run('tag', id3, '--add', 'keep');
    expect(same.stdout).toContain('changed the tags of 0 snapshots; 1 already had them and was left alone');
    expect((await list()).map((s) => s.id)).toContain(id3);
    const set = jsonSummary((await run('tag', id3, '--set', 'x', '--set', 'y', '--json')).stdout) as { rewritten: { newId: string; tags: string[] }[] };
    expect(set.rewritten[0]?.tags).toEqual(['x', 'y']);
    const cleared = jsonSummary((await run('tag', set.rewritten[0]?.newId ?? '', '--set', '', '--json')).stdout) as { rewritten: { newId: string; tags: string[] }[] };
    expect(cleared.rewritten[0]?.tags).toEqual([]);
    expect((await list('--tag', '')).map((s) => s.id)).toContain(cleared.rewritten[0]?.newId);
    expect((await run('check')).code).toBe(0);
  });

  it('tags the snapshots the filters select, and refuses a snapshot that is not there, changing nothing', async () => {
    const { repo, run, list, ids } = await setup();
    const byHost = await run('tag', '--host', 'laptop', '--path', join(repo, '..', 'other'), '--add', 'moved');
    expect(byHost.code, byHost.stderr).toBe(0);
    expect(byHost.stdout).toContain('changed the tags of 2 snapshots');
    const now = await list();
    expect(now.filter((s) => s.tags.includes('moved')).map((s) => s.paths[0])).toEqual([join(repo, '..', 'other'), join(repo, '..', 'other')]);
    expect(now.map((s) => s.id)).toEqual(expect.arrayContaining([ids.laptopProj, ids.desktopProj]));

    const files = (await readdir(join(repo, 'snapshots'))).sort();
    const missing = await run('tag', 'deadbeef', '--add', 'x');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.split('\n')[0]).toBe('cairn: no snapshot has an id starting with "deadbeef"');
    expect(missing.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('hint: '))).toHaveLength(1);
    // Named with an existing one: nothing is rewritten, the existing one included.
    const mixed = await run('tag', ids.desktopProj, 'deadbeef', '--add', 'x');
    expect(mixed.code).toBe(1);
    expect((await readdir(join(repo, 'snapshots'))).sort()).toEqual(files);
    expect(await readdir(join(repo, 'locks'))).toEqual([]);

    const noChange = await run('tag', 'latest');
    expect(noChange.code).toBe(1);
    expect(noChange.stderr).toContain('tag needs a change: --add, --remove or --set <tags>');
    const both = await run('tag', 'latest', '--set', 'a', '--add', 'b');
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('give --set, or --add/--remove, not both');
    expect((await readdir(join(repo, 'snapshots'))).sort()).toEqual(files);
  });

  it('keeps the pre-restore tag where it is: a pre-restore snapshot stays one, a backup does not become one', async () => {
    const { home, repo, run, ids } = await setup();
    await writeFile(join(home, 'proj', 'notes.txt'), 'edited after the backups\n');
    const restored = await run('restore', ids.laptopProj, '--target', home, '--backup-existing');
    expect(restored.code, restored.stderr).toBe(0);
    const files = (await readdir(join(repo, 'snapshots'))).sort();
    const strip = await run('tag', 'latest', '--tag', 'pre-restore', '--set', 'plain');
    expect(strip.code).toBe(1);
    expect(strip.stderr).toMatch(/^cairn: snapshot [0-9a-f]{8} holds only what a restore overwrote: the pre-restore tag says so, and tag does not remove it\n/);
    const fake = await run('tag', ids.desktopProj, '--add', 'pre-restore');
    expect(fake.code).toBe(1);
    expect(fake.stderr).toContain('is a backup: the pre-restore tag says so, and tag does not add it');
    expect((await readdir(join(repo, 'snapshots'))).sort()).toEqual(files);
    const ok = await run('tag', 'latest', '--tag', 'pre-restore', '--add', 'undo-me');
    expect(ok.code, ok.stderr).toBe(0);
  });
});
