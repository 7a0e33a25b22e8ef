import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { encodeSnapshot } from '@cairn/index';
import type { TreeNode } from '@cairn/index';
import { backup, initRepository, restore } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { createWorkingCopyRebuilder } from '@cairn/vcs';
import type { RemoteRewrite } from '@cairn/vcs';
import { createProjectSelector } from '@cairn/vcs/selector';
import type { VcsBackupMode } from '@cairn/vcs/selector';
import { gitFacts, loseRemote, makeGitScenario, makeOperationScenario, makeSubmoduleScenario, operationFacts } from '../../vcs/test/git-scenario.js';
import { makeHgScenario } from '../../vcs/test/hg-scenario.js';
import { git, hg, readTree } from '../../vcs/test/helpers.js';
import { editProperties, makeSvnScenario, svn, svnPropFacts } from '../../vcs/test/svn-scenario.js';
import { flipByte, tempDir } from './helpers.js';

/** Backs up one working copy folder with the VCS bridge and the default policy. */
async function backupCopy(repo: Repository, dir: string, vcs: VcsBackupMode) {
  return backup(repo, { source: createLocalSource(), paths: [dir], selector: createProjectSelector({ roots: [dir], vcs, policy: () => ({}) }) });
}

/** What rebuilds the working copies a restore meets (remote URLs rewritten by `rewrites`). */
function rebuilder(rewrites?: readonly RemoteRewrite[]) {
  return createWorkingCopyRebuilder({ localTarget: createLocalTarget, ...(rewrites === undefined ? {} : { rewrites }) });
}

/** Every file of a snapshot tree: path -> 'stored' (content) or 'ref' (recorded by reference). */
async function filesOf(repo: Repository, tree: Id, prefix = ''): Promise<Map<string, 'stored' | 'ref'>> {
  const out = new Map<string, 'stored' | 'ref'>();
  const nodes: TreeNode[] = await repo.loadTree(tree, 'test');
  for (const node of nodes) {
    const path = `${prefix}${node.name}`;
    if (node.type === 'dir' && node.subtree !== undefined) for (const [p, k] of await filesOf(repo, node.subtree, `${path}/`)) out.set(p, k);
    else if (node.type === 'file') out.set(path, node.ref === undefined ? 'stored' : 'ref');
  }
  return out;
}


async function newRepo(): Promise<{ repo: Repository; out: string }> {
  const work = await tempDir();
  return { repo: await initRepository(createLocalBackend(join(work, 'repo'))), out: join(work, 'out') };
}

describe('backups of working copies (--vcs)', () => {
  it('changes: stores only what the remote lacks, and a restore into an empty folder gives the same tree, HEAD, unpushed commits and stash', async () => {
    const { wc } = await makeGitScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const { snapshot } = result;

    // Stored: modified, added, untracked, the ignored .env (a secret); by reference: clean pushed files.
    const files = await filesOf(repo, snapshot.tree);
    expect(Object.fromEntries(files)).toEqual({
      'wc/.env': 'stored', 'wc/.gitignore': 'ref', 'wc/README.md': 'ref', 'wc/assets/logo.svg': 'ref', 'wc/notes.txt': 'stored',
      'wc/package.json': 'ref', 'wc/src/index.js': 'stored', 'wc/src/new.js': 'stored',
    });
    expect(snapshot.summary.filesReferenced).toBe(4);
    expect(snapshot.skipped?.map((s) => [s.path, s.class])).toEqual([['/wc/.git/', 'vcs'], ['/wc/node_modules/', 'dependency']]);
    expect(snapshot.classes?.['source']?.files).toBeGreaterThan(0);
    const [record] = snapshot.vcs ?? [];
    expect(record).toMatchObject({ path: '/wc', mode: 'changes' });
    const state = JSON.parse(record!.state) as { head: string; branch: string; unpushed: number; stashes: unknown[]; dirty: boolean };
    expect(state).toMatchObject({ head: git(wc, 'rev-parse', 'HEAD').trim(), branch: 'main', unpushed: 2, dirty: true });
    expect(state.stashes).toHaveLength(1);
    const extras = await filesOf(repo, record!.extras!);
    expect([...extras.keys()]).toContain('git.bundle');

    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    expect(restored.checkedOut).toBe(4);
    const back = join(out, 'wc');
    expect(await readTree(back)).toEqual(await readTree(wc, ['node_modules']));
    expect(gitFacts(back)).toEqual(gitFacts(wc));
  });

  it('changes, remote gone: a problem naming the working copy and the URL, and everything stored is restored', async () => {
    const scenario = await makeGitScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, scenario.wc, 'changes');
    await loseRemote(scenario);
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    const messages = restored.problems.map((p) => p.message).join('\n');
    expect(messages).toContain(scenario.wc);
    expect(messages).toContain(scenario.remote);
    expect(messages).toContain('4 file(s) recorded by reference to git were not restored');
    expect(messages).toContain(`restore again with --vcs-remote ${scenario.remote}=NEW_URL`);
    expect(restored.checkedOut).toBe(0);
    const back = await readTree(join(out, 'wc'));
    expect([...back.keys()].sort()).toEqual(['.env', 'notes.txt', 'src/index.js', 'src/new.js']);
    expect(back.get('src/new.js')).toBe('export const fresh = true;\n');
  });

  it('full: stores everything, .git included, records the state, and skips what the policy says, listing it', async () => {
    const { wc } = await makeGitScenario();
    const { repo, out } = await newRepo();
    const { id, snapshot } = await backupCopy(repo, wc, 'full');
    const files = await filesOf(repo, snapshot.tree);
    expect([...files.values()].every((kind) => kind === 'stored')).toBe(true);
    expect(files.has('wc/.git/HEAD')).toBe(true);
    expect(files.has('wc/node_modules/pkg/index.js')).toBe(false);
    expect(snapshot.skipped).toEqual([{ path: '/wc/node_modules/', class: 'dependency', reason: expect.stringContaining('node preset') as string }]);
    expect(snapshot.vcs).toEqual([{ path: '/wc', mode: 'full', state: expect.stringContaining('"vcs":"git"') as string, extras: null }]);
    await restore(repo, id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(gitFacts(join(out, 'wc'))).toEqual(gitFacts(wc));
  });

  it('tells onWorkingCopy of each working copy it reads, the enclosing one of a backup started inside it too', async () => {
    const { wc } = await makeGitScenario();
    const { repo } = await newRepo();
    const seen: string[] = [];
    const onWorkingCopy = (copy: { root: string }, status: { state: { vcs: string } }) => seen.push(`${status.state.vcs} ${copy.root}`);
    await backup(repo, { source: createLocalSource(), paths: [wc], selector: createProjectSelector({ roots: [wc], vcs: 'full', onWorkingCopy }) });
    await backup(repo, { source: createLocalSource(), paths: [join(wc, 'src')], selector: createProjectSelector({ roots: [join(wc, 'src')], vcs: 'changes', onWorkingCopy }) });
    expect(seen).toEqual([`git ${wc}`, `git ${wc}`]);
  });

  it('off: no state, no policy unless one is given; the snapshot stays format version 1', async () => {
    const { wc } = await makeGitScenario();
    const { repo } = await newRepo();
    const { snapshot } = await backup(repo, { source: createLocalSource(), paths: [wc], selector: createProjectSelector({ roots: [wc], vcs: 'off' }) });
    expect(snapshot.vcs).toBeUndefined();
    expect(snapshot.skipped).toBeUndefined();
    expect((await filesOf(repo, snapshot.tree)).has('wc/node_modules/pkg/index.js')).toBe(true);
  });

  it('a backup of a folder inside a working copy records the enclosing copy\'s state, in full mode', async () => {
    const { wc } = await makeGitScenario();
    const { repo } = await newRepo();
    const src = join(wc, 'src');
    const { snapshot } = await backupCopy(repo, src, 'changes');
    expect(snapshot.vcs?.map((record) => [record.path, record.mode])).toEqual([['/src', 'full']]);
    expect(JSON.parse(snapshot.vcs![0]!.state)).toMatchObject({ root: wc });
    expect([...(await filesOf(repo, snapshot.tree)).values()].every((kind) => kind === 'stored')).toBe(true);
  });

  it('Mercurial, changes: state recorded, changed and untracked files stored, the rest by reference; restore matches', async () => {
    const { wc } = await makeHgScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const files = await filesOf(repo, result.snapshot.tree);
    expect(files.get('wc/a.txt')).toBe('stored');
    expect(files.get('wc/new.txt')).toBe('stored');
    expect(files.get('wc/untracked.txt')).toBe('stored');
    expect(files.get('wc/lib/b.txt')).toBe('ref');
    expect(JSON.parse(result.snapshot.vcs![0]!.state)).toMatchObject({ vcs: 'hg', unpushed: 2 });
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    const back = join(out, 'wc');
    // debug.log, which .hgignore ignores, is kept: the policy reads .gitignore files, and a .log is no build output.
    expect(await readTree(back)).toEqual(await readTree(wc));
    expect(hg(back, 'status')).toBe(hg(wc, 'status'));
    expect(hg(back, 'log', '-r', 'draft()', '-T', '{node}\n')).toBe(hg(wc, 'log', '-r', 'draft()', '-T', '{node}\n'));
  });

  it('Subversion, changes: state recorded, changed and unversioned files stored, the rest by reference; restore matches', async () => {
    const { wc } = await makeSvnScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const files = await filesOf(repo, result.snapshot.tree);
    expect(files.get('wc/a.txt')).toBe('stored');
    expect(files.get('wc/untracked.txt')).toBe('stored');
    expect(files.get('wc/tmp/x.txt')).toBe('stored');
    expect(files.get('wc/lib/b.txt')).toBe('ref');
    expect(JSON.parse(result.snapshot.vcs![0]!.state)).toMatchObject({ vcs: 'svn' });
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    const back = join(out, 'wc');
    expect(await readTree(back)).toEqual(await readTree(wc));
    const status = (dir: string) => svn(dir, 'status', '--no-ignore').split('\n').sort().join('\n');
    expect(status(back)).toBe(status(wc));
  });

  it('Subversion, changes: uncommitted property edits come back (svn proplist -v and svn status as before)', async () => {
    const { wc, base } = await makeSvnScenario();
    await editProperties(base, wc);
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    expect(svnPropFacts(join(out, 'wc'))).toEqual(svnPropFacts(wc));
  });

  it('without a local folder to rebuild in, files recorded by reference are named as not restored', async () => {
    const { wc } = await makeGitScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const restored = await restore(repo, result.id, { target: createLocalTarget(out) });
    expect(restored.problems.map((p) => p.message)).toEqual([expect.stringContaining('4 file(s) recorded by reference to git were not restored') as string]);
    expect(toHex(result.snapshot.tree)).toHaveLength(64);
  });

  it('without a working-copy rebuilder, files recorded by reference are named as not restored and the stored files are written', async () => {
    const { wc } = await makeGitScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out });
    expect(restored.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/4 file\(s\) recorded by reference to git were not restored: .*working-copy rebuilder/) as string,
    ]);
    expect(restored.checkedOut).toBe(0);
    expect(restored.files).toBeGreaterThan(0);
    expect(await readdir(join(out, 'wc'))).not.toContain('.git');
  });
});

describe('a recorded state that cannot be read', () => {
  it('is a problem naming the working copy, with or without a rebuilder; the stored files are restored', async () => {
    const { wc } = await makeGitScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const bytes = encodeSnapshot({ ...result.snapshot, vcs: [{ ...result.snapshot.vcs![0]!, state: '{not json' }] });
    const id = createHash('sha256').update(bytes).digest('hex');
    await repo.backend.write('snapshot', id, bytes);
    for (const [name, workingCopies] of [['with', { workingCopies: rebuilder() }], ['without', {}]] as const) {
      const into = join(out, name);
      const restored = await restore(repo, id, { target: createLocalTarget(into), localRoot: into, ...workingCopies });
      const messages = restored.problems.map((p) => p.message);
      expect(messages[0]).toMatch(/\/wc.*recorded VCS state is not readable/);
      expect(messages.slice(1)).toHaveLength(4);
      expect(restored.files).toBeGreaterThan(0);
      expect(await readdir(join(into, 'wc', 'src'))).toContain('new.js');
    }
  });
});

describe('a branch with unpushed commits (--vcs changes)', () => {
  it('records by reference the files whose content is in the pushed commit the branch starts from, stores the rest, and restores the branch', async () => {
    const { wc } = await makeGitScenario();
    git(wc, 'stash', 'pop', '-q');
    git(wc, 'stash', 'push', '-q', '--include-untracked', '-m', 'everything');
    git(wc, 'checkout', '-q', 'feature');
    const base = git(wc, 'rev-parse', 'main').trim();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const files = await filesOf(repo, result.snapshot.tree);
    // src/feature.js exists only in the unpushed commits: stored. The rest is as on main, which is pushed.
    expect(files.get('wc/src/feature.js')).toBe('stored');
    expect(files.get('wc/README.md')).toBe('ref');
    expect(files.get('wc/src/index.js')).toBe('ref');
    const readme = (await repo.loadTree((await repo.loadTree(result.snapshot.tree, 't'))[0]!.subtree!, 't')).find((n) => n.name === 'README.md');
    expect(readme?.ref?.commit).toBe(base);
    expect(JSON.parse(result.snapshot.vcs![0]!.state)).toMatchObject({ pushed: false, unpushed: 2 });
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    expect(await readTree(join(out, 'wc'))).toEqual(await readTree(wc, ['node_modules']));
    expect(gitFacts(join(out, 'wc'))).toEqual(gitFacts(wc));
  });
});

describe('extras kept from the parent (--vcs changes)', () => {
  it('an unchanged working copy keeps the parent\'s extras; a new commit or a changed hook writes them again', async () => {
    const { wc } = await makeGitScenario();
    const { repo } = await newRepo();
    const extrasOf = (snapshot: { vcs?: readonly { extras: Id | null; extrasKey?: string }[] }) => snapshot.vcs?.[0];
    const first = extrasOf((await backupCopy(repo, wc, 'changes')).snapshot);
    expect(first?.extrasKey).toMatch(/^[0-9a-f]{64}$/);
    const again = extrasOf((await backupCopy(repo, wc, 'changes')).snapshot);
    expect(again).toEqual(first);

    await writeFile(join(wc, '.git', 'hooks', 'pre-push'), '#!/bin/sh\nexit 0\n');
    const hooked = extrasOf((await backupCopy(repo, wc, 'changes')).snapshot);
    expect(hooked?.extrasKey).not.toBe(first?.extrasKey);
    expect([...(await filesOf(repo, hooked!.extras!)).keys()]).toContain('hooks/pre-push');

    git(wc, 'commit', '-q', '-m', 'index as a commit');
    const committed = extrasOf((await backupCopy(repo, wc, 'changes')).snapshot);
    expect(committed?.extrasKey).not.toBe(hooked?.extrasKey);
    expect(toHex(committed!.extras!)).not.toBe(toHex(hooked!.extras!));
  });
});

describe('damaged extras', () => {
  it('a bundle that cannot be read: a problem naming the working copy, and the stored files still restored', async () => {
    const { wc } = await makeGitScenario();
    const work = await tempDir();
    // Without groups: the bundle alone is damaged (in a group its small neighbours would share the damage).
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { groups: false });
    const result = await backupCopy(repo, wc, 'changes');
    const extras = await repo.loadTree(result.snapshot.vcs![0]!.extras!, 'test');
    const bundle = extras.find((node) => node.name === 'git.bundle')?.content?.[0];
    const at = repo.index.lookup(bundle!)!;
    const pack = toHex(at.packId);
    await flipByte(join(work, 'repo', 'data', pack.slice(0, 2), pack), at.offset + 5);

    const out = join(work, 'out');
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    const messages = restored.problems.map((p) => p.message).join('\n');
    expect(messages).toContain('the saved VCS data of the working copy /wc');
    expect(messages).toContain('4 file(s) recorded by reference to git were not restored');
    expect([...(await readTree(join(out, 'wc'))).keys()].sort()).toEqual(['.env', 'notes.txt', 'src/index.js', 'src/new.js']);
  });
});

describe('a working copy with a submodule (--vcs changes)', () => {
  it('comes back whole: the same HEAD in the parent and the submodule, the submodule\'s files, both clean', async () => {
    const { wc } = await makeSubmoduleScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    expect(result.snapshot.vcs?.map((record) => [record.path, record.mode])).toEqual([['/app', 'changes'], ['/app/lib', 'changes']]);
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    const back = join(out, 'app');
    expect(await readTree(back)).toEqual(await readTree(wc));
    for (const dir of ['', 'lib']) {
      expect(git(join(back, dir), 'rev-parse', 'HEAD')).toBe(git(join(wc, dir), 'rev-parse', 'HEAD'));
      expect(git(join(back, dir), 'status', '--porcelain=v2', '--untracked-files=all')).toBe('');
    }
    expect(git(back, 'submodule', 'status')).toBe(git(wc, 'submodule', 'status'));
    // Laid out as git lays out a submodule: its git dir inside the parent's, a .git file in its folder.
    expect((await stat(join(back, 'lib', '.git'))).isFile()).toBe(true);
    expect(git(join(back, 'lib'), 'remote', 'get-url', 'origin')).toBe(git(join(wc, 'lib'), 'remote', 'get-url', 'origin'));
  });
});

describe('a removed file\'s folder (--vcs changes)', () => {
  /** The folders below `root`, VCS folders left out. */
  async function foldersOf(root: string, prefix = ''): Promise<string[]> {
    const found: string[] = [];
    for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
      if (!entry.isDirectory() || ['.git', '.hg', '.svn'].includes(entry.name)) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      found.push(path, ...(await foldersOf(root, path)));
    }
    return found.sort();
  }

  it('Mercurial: the folder `hg rm` emptied stays away, an empty folder of the snapshot comes back', async () => {
    const { wc } = await makeHgScenario();
    hg(wc, 'rm', '-q', 'lib/b.txt');
    await mkdir(join(wc, 'empty'));
    expect(await foldersOf(wc)).toEqual(['empty']);
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    const back = join(out, 'wc');
    expect(await foldersOf(back)).toEqual(['empty']);
    expect(hg(back, 'status')).toBe(hg(wc, 'status'));
  });

  it('git: the folder `git rm` emptied stays away', async () => {
    const { wc } = await makeGitScenario();
    git(wc, 'rm', '-q', 'assets/logo.svg');
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    const back = join(out, 'wc');
    expect(await foldersOf(back)).toEqual((await foldersOf(wc)).filter((path) => !path.startsWith('node_modules')));
    expect(gitFacts(back)).toEqual(gitFacts(wc));
  });
});

describe('a remote that moved (the rebuilder\'s rewrites, --vcs-remote OLD=NEW)', () => {
  it('git: the rewritten URL rebuilds the clone whole, and the rebuilt repository points to it', async () => {
    const scenario = await makeGitScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, scenario.wc, 'changes');
    const moved = await loseRemote(scenario);
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder([{ from: scenario.remote, to: moved }]) });
    expect(restored.problems).toEqual([]);
    expect(restored.checkedOut).toBe(4);
    const back = join(out, 'wc');
    expect(await readTree(back)).toEqual(await readTree(scenario.wc, ['node_modules']));
    expect(gitFacts(back)).toEqual(gitFacts(scenario.wc));
    expect(git(back, 'remote', 'get-url', 'origin').trim()).toBe(moved);
  });

  it('Mercurial: pulled from the rewritten URL (a prefix), the default path rewritten', async () => {
    const { wc, remote, base } = await makeHgScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    await rename(base, `${base}-moved`);
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder([{ from: `${base}/`, to: `${base}-moved/` }]) });
    expect(restored.problems).toEqual([]);
    const back = join(out, 'wc');
    expect(await readTree(back)).toEqual(await readTree(`${base}-moved/wc`));
    expect(hg(back, 'paths', 'default').trim()).toBe(`${base}-moved/${remote.slice(base.length + 1)}`);
    expect(hg(back, 'log', '-r', 'draft()', '-T', '{node}\n')).toBe(hg(`${base}-moved/wc`, 'log', '-r', 'draft()', '-T', '{node}\n'));
  });

  it('Subversion: checked out from the rewritten URL', async () => {
    const { wc, repo: svnRepo, url } = await makeSvnScenario();
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    await rename(svnRepo, `${svnRepo}-moved`);
    const gone = await restore(repo, result.id, { target: createLocalTarget(join(out, 'gone')), localRoot: join(out, 'gone'), workingCopies: rebuilder() });
    expect(gone.problems.map((p) => p.message).join('\n')).toContain(`--vcs-remote ${url}=NEW_URL`);
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder([{ from: url, to: `${url}-moved` }]) });
    expect(restored.problems).toEqual([]);
    const back = join(out, 'wc');
    expect(await readTree(back)).toEqual(await readTree(wc));
    expect(svn(back, 'info', '--show-item', 'url').trim()).toBe(`${url}-moved`);
  });
});

describe('an operation in progress (--vcs changes)', () => {
  it.each(['merge', 'rebase'] as const)('a %s stopped on conflicts comes back: status, index stages, state files; it can be finished', async (operation) => {
    const { wc } = await makeOperationScenario(operation);
    const { repo, out } = await newRepo();
    const result = await backupCopy(repo, wc, 'changes');
    const restored = await restore(repo, result.id, { target: createLocalTarget(out), localRoot: out, workingCopies: rebuilder() });
    expect(restored.problems).toEqual([]);
    const back = join(out, 'wc');
    expect(await readTree(back)).toEqual(await readTree(wc));
    expect(operationFacts(back)).toEqual(operationFacts(wc));
    expect(operationFacts(wc).status).toContain(operation === 'merge' ? 'You have unmerged paths' : 'rebase in progress');
    // Finished in both the same way, the results are the same commits.
    for (const dir of [wc, back]) {
      await writeFile(join(dir, 'f.txt'), 'f resolved\n');
      git(dir, 'add', 'f.txt');
      const env = { GIT_EDITOR: 'true', GIT_AUTHOR_DATE: '@1700000000 +0000', GIT_COMMITTER_DATE: '@1700000000 +0000' };
      execFileSync('git', operation === 'merge' ? ['commit', '-q', '--no-edit'] : ['rebase', '--continue'], { cwd: dir, env: { ...process.env, ...env }, stdio: 'ignore' });
    }
    expect(git(back, 'rev-parse', 'HEAD')).toBe(git(wc, 'rev-parse', 'HEAD'));
  });
});

describe('what a changes backup cannot keep', () => {
  it('Mercurial: a merge in progress is a backup warning naming the working copy and what is lost; the backup is not partial', async () => {
    const base = await tempDir();
    const remote = join(base, 'remote');
    const wc = join(base, 'wc');
    hg(base, 'init', remote);
    hg(base, 'clone', '-q', remote, wc);
    await writeFile(join(wc, 'a.txt'), 'a\n');
    hg(wc, 'add', '-q', 'a.txt');
    hg(wc, 'commit', '-q', '-m', 'base');
    hg(wc, 'push', '-q');
    await writeFile(join(wc, 'a.txt'), 'a, one way\n');
    hg(wc, 'commit', '-q', '-m', 'one way');
    hg(wc, 'update', '-q', '-r', '0');
    await writeFile(join(wc, 'a.txt'), 'a, the other way\n');
    hg(wc, 'commit', '-q', '-m', 'the other way');
    try {
      hg(wc, 'merge', '-q', '--tool', ':merge', '-r', '1');
    } catch {
      // Stopped on the conflict, as intended.
    }
    const { repo } = await newRepo();
    const seen: string[] = [];
    const result = await backup(repo, {
      source: createLocalSource(), paths: [wc], onWarning: (w) => seen.push(w.message),
      selector: createProjectSelector({ roots: [wc], vcs: 'changes', policy: () => ({}) }),
    });
    expect(result.warnings).toEqual([{ kind: 'vcs', path: wc, message: expect.stringContaining(`${wc}: an uncommitted merge or unresolved conflicts (.hg/merge/`) as string }]);
    expect(result.warnings[0]?.message).toContain('--vcs full');
    expect(seen).toEqual([result.warnings[0]?.message]);
    expect(result.partial).toBe(false);
  });
});
