import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorkingCopy, saveExtras } from '@cairn/vcs';
import { createPolicy } from '../src/policy/policy.js';
import type { VcsStatus } from '@cairn/vcs';
import { makeGitScenario } from './git-scenario.js';
import { copyAt, git, sh, tempDir, writeFiles } from './helpers.js';
import { planBackup } from './plan.js';

describe('git state', () => {
  it('records the scenario of issue 6 exactly', async () => {
    const { wc, remote } = await makeGitScenario();
    const status = await readWorkingCopy(await copyAt(wc));
    const head = git(wc, 'rev-parse', 'HEAD').trim();
    const feature = git(wc, 'rev-parse', 'feature').trim();
    const stash = git(wc, 'rev-parse', 'stash@{0}').trim();
    expect(status.state).toEqual({
      vcs: 'git', root: wc, kind: 'repository', head, branch: 'main', upstream: 'origin/main', ahead: 0, behind: 0,
      remotes: [{ name: 'origin', url: remote }], dirty: true, pushed: true, unpushed: 2,
      stashes: [{ commit: stash, message: 'On main: readme draft' }],
      refs: [{ name: 'refs/heads/feature', commit: feature }, { name: 'refs/heads/main', commit: head }],
      changes: { added: ['src/new.js'], removed: [], missing: [] },
    });
    const statusOf = (path: string) => status.lookup(path).status;
    expect(statusOf('README.md')).toBe('clean');
    expect(statusOf('src/index.js')).toBe('modified');
    expect(statusOf('src/new.js')).toBe('added');
    expect(statusOf('notes.txt')).toBe('untracked');
    expect(statusOf('.env')).toBe('ignored');
    expect(status.files.get('node_modules')).toEqual({ path: 'node_modules', status: 'ignored', folder: true });
    expect(statusOf('node_modules/pkg/index.js')).toBe('ignored');
    expect(status.reference('README.md')).toEqual({ path: 'README.md', id: git(wc, 'rev-parse', 'HEAD:README.md').trim(), commit: head });
    for (const path of ['src/index.js', 'src/new.js', 'notes.txt', '.env']) expect(status.reference(path)).toBeNull();
  });

  it('stores only what the remote cannot give back (and the policy keeps)', async () => {
    const { wc } = await makeGitScenario();
    const status = await readWorkingCopy(await copyAt(wc));
    const plan = await planBackup(status, createPolicy(wc));
    expect(plan.stored).toEqual(['.env', 'notes.txt', 'src/index.js', 'src/new.js']);
    expect(plan.referenced.map((ref) => ref.path)).toEqual(['.gitignore', 'README.md', 'assets/logo.svg', 'package.json']);
    expect(plan.skipped).toEqual(['node_modules/']);
    for (const ref of plan.referenced) expect(ref.id).toBe(git(wc, 'rev-parse', `HEAD:${ref.path}`).trim());
  });

  it('saves a bundle of only the local commits, stash and index, plus config and hooks', async () => {
    const { wc, base } = await makeGitScenario();
    const status = await readWorkingCopy(await copyAt(wc));
    const out = join(base, 'extras');
    const manifest = await saveExtras(status, out);
    expect(manifest.files).toEqual(expect.arrayContaining(['config', 'info/exclude', 'hooks/pre-commit', 'git.bundle']));
    expect(manifest.files.some((file) => file.endsWith('.sample'))).toBe(false);
    // HEAD (main) is pushed, so it is not in the bundle; the index differs from HEAD (a staged file).
    expect([...manifest.bundled].sort()).toEqual(['refs/cairn/index', 'refs/cairn/stash/0', 'refs/heads/feature']);
    // The pushed commit is a prerequisite of the bundle, not part of it.
    const verify = sh(wc, 'git', 'bundle', 'verify', join(out, 'git.bundle'));
    expect(verify).toContain(git(wc, 'rev-parse', 'main').trim());
    expect(manifest.warnings).toEqual([]);
    // Reading and saving did not touch the user's repository.
    expect(git(wc, 'for-each-ref', '--format=%(refname)')).not.toContain('cairn');
  });

  it('does not count a clean, pushed clone as dirty and bundles nothing', async () => {
    const { wc, base } = await makeGitScenario();
    const clone = join(base, 'clone');
    git(base, 'clone', '-q', join(base, 'remote.git'), clone);
    const status = await readWorkingCopy(await copyAt(clone));
    expect(status.state.dirty).toBe(false);
    expect(status.state.unpushed).toBe(0);
    expect(status.state.pushed).toBe(true);
    const manifest = await saveExtras(status, join(base, 'clone-extras'));
    expect(manifest.files).not.toContain('git.bundle');
    expect(manifest.bundled).toEqual([]);
    expect(wc).not.toBe(clone);
  });

  it('with HEAD not pushed, references only files as they are in the pushed commit HEAD starts from', async () => {
    const { wc } = await makeGitScenario();
    git(wc, 'checkout', '-q', '--detach', 'feature');
    const base = git(wc, 'rev-parse', 'main').trim();
    const status: VcsStatus = await readWorkingCopy(await copyAt(wc));
    expect(status.state.branch).toBeNull();
    expect(status.state.pushed).toBe(false);
    expect(status.lookup('README.md').status).toBe('clean');
    expect(status.reference('README.md')).toMatchObject({ path: 'README.md', commit: base });
    // Only in the unpushed commits: stored.
    expect(status.lookup('src/feature.js').status).toBe('clean');
    expect(status.reference('src/feature.js')).toBeNull();
  });

  it('with no pushed commit at all, references nothing', async () => {
    const dir = await tempDir();
    git(dir, 'init', '-q');
    await writeFiles(dir, { 'a.txt': 'a\n' });
    git(dir, 'add', 'a.txt');
    git(dir, 'commit', '-q', '-m', 'one');
    git(dir, 'remote', 'add', 'origin', join(dir, 'nowhere.git'));
    const status = await readWorkingCopy(await copyAt(dir));
    expect(status.lookup('a.txt').status).toBe('clean');
    expect(status.reference('a.txt')).toBeNull();
  });

  it('strips credentials from remote URLs', async () => {
    const dir = await tempDir();
    git(dir, 'init', '-q');
    git(dir, 'remote', 'add', 'origin', 'https://alice:hunter2@git.example.com/team/app.git');
    git(dir, 'remote', 'add', 'ci', 'https://ghp_abcdef123456@github.com/team/app.git?private_token=xyz&ref=main');
    git(dir, 'remote', 'add', 'ssh', 'ssh://git:pw@host.example.com/app.git');
    const status = await readWorkingCopy(await copyAt(dir));
    expect(status.state.remotes).toEqual([
      { name: 'origin', url: 'https://git.example.com/team/app.git' },
      { name: 'ci', url: 'https://github.com/team/app.git?ref=main' },
      { name: 'ssh', url: 'ssh://git@host.example.com/app.git' },
    ]);
    expect(JSON.stringify(status.state)).not.toMatch(/hunter2|ghp_|xyz|:pw@/);
    expect(status.state.head).toBeNull();
    expect(status.state.pushed).toBe(false);
  });

  it('never records by reference a file that goes through a filter (LFS): its bytes are not its blob', async () => {
    const { wc } = await makeGitScenario();
    await writeFiles(wc, { '.gitattributes': '*.bin filter=lfs\n', 'data.bin': 'pretend large\n' });
    git(wc, 'add', '.gitattributes', 'data.bin');
    git(wc, 'commit', '-q', '-m', 'data');
    git(wc, 'push', '-q');
    const status = await readWorkingCopy(await copyAt(wc));
    expect(status.state.pushed).toBe(true);
    expect(status.lookup('data.bin')).toEqual({ path: 'data.bin', status: 'clean' });
    expect(status.reference('data.bin')).toBeNull();
    expect(status.reference('.gitattributes')).not.toBeNull();
  });

  it('marks renames, deletions and staged removals', async () => {
    const { wc } = await makeGitScenario();
    git(wc, 'mv', 'package.json', 'package2.json');
    git(wc, 'rm', '-q', 'assets/logo.svg');
    const status = await readWorkingCopy(await copyAt(wc));
    expect(status.lookup('package2.json').status).toBe('renamed');
    expect(status.lookup('assets/logo.svg').status).toBe('deleted');
    expect(status.state.changes.removed).toEqual(expect.arrayContaining(['package.json', 'assets/logo.svg']));
    expect(status.state.changes.missing).toEqual(expect.arrayContaining(['package.json', 'assets/logo.svg']));
    expect(status.state.changes.added).toEqual(expect.arrayContaining(['package2.json', 'src/new.js']));
  });
});
