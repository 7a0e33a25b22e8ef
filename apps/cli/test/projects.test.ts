import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, initRepository } from '@cairn/repository';
import type { BackupResult, Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { loadConfig, resolveProjects } from '@cairn/vcs/config';
import { formatBytes } from '../src/format.js';
import { matchesProjectFilter, projectMeta, snapshotProject } from '../src/projects.js';
import { cairn, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

/** Runs `cairn args…` in folder `cwd`, HOME (so the user config) and the default repository in `home`. */
function cairnIn(cwd: string, args: readonly string[], home: string, env: Record<string, string> = {}): Promise<Run> {
  return cairn(args, { home, env, cwd });
}

async function writeAll(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), content);
  }
}

const sum = (files: Record<string, string | Buffer>): number => Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);

interface ProjectJson {
  project: string;
  client: string | null;
  stack: string[];
  phase: string | null;
  tags: string[];
  path: string;
  configured: boolean;
  snapshots: number;
  lastBackup: string | null;
  latestSnapshot: string | null;
  size: number | null;
  added: number;
}

/**
 * A home with a user config (project "site"), a work folder whose cairn.config.json names "shop"
 * (stack detected) and "blog", and a repository holding two snapshots of shop, one of "legacy"
 * (a project only snapshots know) and one without a project.
 */
async function fixture(): Promise<{
  home: string; work: string; repoPath: string; shopV2: Record<string, string | Buffer>; s1: BackupResult; s2: BackupResult; legacy: BackupResult; plain: BackupResult;
}> {
  const home = await tempDir();
  const work = join(home, 'work');
  await writeAll(work, {
    'cairn.config.json': JSON.stringify({
      projects: [
        { path: 'shop', client: 'acme', phase: 'active', tags: ['paid'] },
        { path: 'blog', stack: ['python'], tags: ['personal'] },
      ],
    }),
    'blog/index.md': '# blog\n',
  });
  await writeAll(home, {
    '.config/cairn/config.json': JSON.stringify({ projects: [{ path: '~/sites/site', project: 'site', client: 'initech' }] }),
    'sites/site/Cargo.toml': '[package]\n',
  });

  const shopDir = join(work, 'shop');
  await writeAll(shopDir, { 'package.json': '{"name":"shop"}\n', 'a.txt': randomBytes(3000) });

  // The meta a backup of shop records, as projectMeta gives it for the configured project.
  const configured = await resolveProjects(await loadConfig({ dir: work, userConfig: null }));
  const shop = configured.find((p) => p.project === 'shop');
  if (shop === undefined) throw new Error('shop is not configured');
  const { meta, tags } = projectMeta(shop);
  expect(meta).toEqual({ project: 'shop', client: 'acme', stack: 'node', phase: 'active' });
  expect(tags).toEqual(['paid']);

  const repoPath = join(home, 'repo');
  const repo: Repository = await initRepository(createLocalBackend(repoPath));
  const source = createLocalSource();
  const run = (path: string, time: string, extra: { meta?: Record<string, string>; tags?: string[] }): Promise<BackupResult> =>
    backup(repo, { source, paths: [path], time: new Date(time), threads: 0, ...extra });

  const s1 = await run(shopDir, '2024-01-01T10:00:00Z', { meta, tags: [...tags, 'weekly'] });
  const shopV2 = { 'package.json': '{"name":"shop"}\n', 'a.txt': randomBytes(4000), 'src/b.bin': randomBytes(10_000) };
  await writeAll(shopDir, { 'a.txt': shopV2['a.txt'], 'src/b.bin': shopV2['src/b.bin'] });
  const s2 = await run(shopDir, '2024-02-01T10:00:00Z', { meta, tags });
  // What is on disk now is in no snapshot.
  await writeAll(shopDir, { 'a.txt': 'changed after the last backup\n' });

  await writeAll(home, { 'legacy/c.txt': randomBytes(777) });
  const legacy = await run(join(home, 'legacy'), '2024-03-01T00:00:00Z', { meta: { project: 'legacy', client: 'globex' }, tags: ['archive'] });
  await writeAll(home, { 'misc/m.txt': 'no project\n' });
  const plain = await run(join(home, 'misc'), '2024-04-01T00:00:00Z', {});
  return { home, work, repoPath, shopV2, s1, s2, legacy, plain };
}

describe('project fields of snapshots', () => {
  it('reads back what projectMeta records, and filters by project, client and every tag', () => {
    const snapshot = { meta: { project: 'shop', client: 'acme', stack: 'node,rust', phase: 'active', other: 'x' }, tags: ['paid', 'weekly'] };
    expect(snapshotProject(snapshot)).toEqual({ project: 'shop', client: 'acme', stack: ['node', 'rust'], phase: 'active' });
    expect(snapshotProject({ meta: {} })).toEqual({ project: null, client: null, stack: [], phase: null });
    expect(matchesProjectFilter(snapshot, { project: 'shop', client: 'acme', tags: ['weekly', 'paid'] })).toBe(true);
    expect(matchesProjectFilter(snapshot, { tags: ['paid', 'monthly'] })).toBe(false);
    expect(matchesProjectFilter(snapshot, { project: 'blog' })).toBe(false);
    expect(matchesProjectFilter(snapshot, { client: 'globex' })).toBe(false);
    expect(matchesProjectFilter({ meta: {}, tags: [] }, {})).toBe(true);
  });
});

describe('cairn projects, snapshots --project/--client/--tag, restore --project', () => {
  it('lists configured and snapshot-only projects with counts, last backup, size and added bytes', async () => {
    const { home, work, repoPath, shopV2, s1, s2, legacy } = await fixture();
    const env = { CAIRN_REPO: repoPath };

    const json = await cairnIn(join(work, 'shop', 'src'), ['projects', '--json'], home, env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as ProjectJson[];
    expect(rows.map((row) => row.project)).toEqual(['blog', 'legacy', 'shop', 'site']);
    const [blog, legacyRow, shop, site] = rows;

    // The size is that of the latest snapshot's files, not what its (incremental) backup read.
    const shopSize = sum(shopV2);
    expect(s2.snapshot.summary.bytesRead).toBeLessThan(shopSize);
    expect(shop).toEqual({
      project: 'shop', client: 'acme', stack: ['node'], phase: 'active', tags: ['paid'], path: join(work, 'shop'), configured: true,
      snapshots: 2, lastBackup: '2024-02-01T10:00:00.000000000Z', latestSnapshot: s2.id, size: shopSize,
      added: s1.snapshot.summary.bytesAdded + s2.snapshot.summary.bytesAdded,
    });
    expect(shop?.added).toBeGreaterThan(0);
    expect(legacyRow).toEqual({
      project: 'legacy', client: 'globex', stack: [], phase: null, tags: ['archive'], path: join(home, 'legacy'), configured: false,
      snapshots: 1, lastBackup: '2024-03-01T00:00:00.000000000Z', latestSnapshot: legacy.id, size: 777, added: legacy.snapshot.summary.bytesAdded,
    });
    expect(blog).toEqual({
      project: 'blog', client: null, stack: ['python'], phase: null, tags: ['personal'], path: join(work, 'blog'), configured: true,
      snapshots: 0, lastBackup: null, latestSnapshot: null, size: null, added: 0,
    });
    // From the user config in $HOME/.config/cairn, its stack detected from Cargo.toml.
    expect(site).toMatchObject({ project: 'site', client: 'initech', stack: ['rust'], path: join(home, 'sites', 'site'), configured: true, snapshots: 0 });

    const table = await cairnIn(work, ['projects'], home, env);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^Project\s+Client\s+Stack\s+Phase\s+Tags\s+Path\s+Snapshots\s+Last backup\s+Size\s+Added$/);
    const line = (name: string): string => lines.find((l) => l.startsWith(`${name} `)) ?? '';
    expect(line('blog')).toMatch(/ 0\s+never$/);
    expect(line('shop')).toContain(formatBytes(shopSize));
    expect(line('shop')).toMatch(/acme\s+node\s+active\s+paid/);
    expect(line('legacy')).toContain('globex');
    expect(table.stdout).toContain(`4 projects (config: ${join(home, '.config', 'cairn', 'config.json')}, ${join(work, 'cairn.config.json')})`);
  });

  it('lists configured projects as never backed up when there is no repository, and names a broken config file', async () => {
    const home = await tempDir();
    await writeAll(home, { 'w/cairn.config.json': JSON.stringify({ projects: [{ path: 'app', project: 'app', client: 'acme' }] }) });
    const none = await cairnIn(join(home, 'w'), ['projects', '--json'], home);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain(`no repository at ${join(home, 'data', 'cairn', 'repo')}`);
    expect(JSON.parse(none.stdout)).toEqual([{
      project: 'app', client: 'acme', stack: [], phase: null, tags: [], path: join(home, 'w', 'app'), configured: true,
      snapshots: 0, lastBackup: null, latestSnapshot: null, size: null, added: 0,
    }]);
    expect((await cairnIn(join(home, 'w'), ['projects'], home)).stdout).toMatch(/^app\s+acme\s+.*\s0\s+never$/m);
    // `projects` never creates the default repository.
    expect(await readdir(home)).not.toContain('data');

    await writeAll(home, { 'bad/cairn.config.json': '{ "projects": [ { "path": "x", "phase": 3 } ] }' });
    const bad = await cairnIn(join(home, 'bad'), ['projects'], home);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`cairn: ${join(home, 'bad', 'cairn.config.json')}: projects[0].phase must be a string`);
  });

  it('filters snapshots by project, client and several tags, and shows their project', async () => {
    const { home, repoPath, s1, s2, legacy, plain } = await fixture();
    const ids = async (...args: string[]): Promise<string[]> => {
      const run = await cairn(['snapshots', '--json', '--repo', repoPath, ...args], { home });
      expect(run.code).toBe(0);
      return (JSON.parse(run.stdout) as { id: string }[]).map((s) => s.id);
    };
    expect(await ids()).toEqual([s1.id, s2.id, legacy.id, plain.id]);
    expect(await ids('--project', 'shop')).toEqual([s1.id, s2.id]);
    expect(await ids('--client', 'globex')).toEqual([legacy.id]);
    expect(await ids('--tag', 'paid')).toEqual([s1.id, s2.id]);
    // restic's --tag: a comma-separated value wants all its tags; repeated, any of the values.
    expect(await ids('--tag', 'paid,weekly')).toEqual([s1.id]);
    expect(await ids('--tag', 'weekly,archive')).toEqual([]);
    expect(await ids('--tag', 'paid', '--tag', 'weekly')).toEqual([s1.id, s2.id]);
    expect(await ids('--tag', 'weekly', '--tag', 'archive')).toEqual([s1.id, legacy.id]);
    expect(await ids('--project', 'shop', '--client', 'globex')).toEqual([]);

    const table = await cairn(['snapshots', '--repo', repoPath], { home });
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+Time\s+Host\s+Project\s+Tags\s+Read\s+Paths$/);
    const row = (id: string): string => table.stdout.split('\n').find((l) => l.startsWith(`${id.slice(0, 8)} `)) ?? '';
    expect(row(legacy.id)).toMatch(/\slegacy\s+archive\s/);
    expect(row(s1.id)).toMatch(/\sshop\s+paid,weekly\s/);
    expect(row(plain.id)).not.toMatch(/shop|legacy/);
  });

  it('restores the latest snapshot of a project, and refuses an unknown project or a snapshot with --project', async () => {
    const { home, repoPath, shopV2, s2 } = await fixture();
    const out = join(home, 'out');
    const restored = await cairn(['restore', '--project', 'shop', '--target', out, '--repo', repoPath], { home });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`from ${s2.id.slice(0, 8)} to ${out}`);
    expect(await readdir(out)).toEqual(['shop']);
    for (const [name, content] of Object.entries(shopV2)) expect((await readFile(join(out, 'shop', name))).equals(Buffer.from(content))).toBe(true);

    const unknown = await cairn(['restore', '--project', 'nope', '--target', join(home, 'x'), '--repo', repoPath], { home });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no snapshot of project "nope"');
    expect(unknown.stderr).toContain('projects with snapshots: legacy, shop');

    const both = await cairn(['restore', s2.id, '--project', 'shop', '--target', join(home, 'x'), '--repo', repoPath], { home });
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('not both: --project shop restores the latest snapshot of project "shop"');

    const neither = await cairn(['restore', '--target', join(home, 'x'), '--repo', repoPath], { home });
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('restore needs a snapshot');
    expect(await readdir(home)).not.toContain('x');
  });
});
