import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, tempDir, writeFiles } from './helpers.js';

/** The git scenario of issue 6, built in a temp folder with a bare repository as the remote. */
export interface GitScenario {
  readonly base: string;
  readonly remote: string;
  readonly wc: string;
}

/**
 * A clone with: clean pushed files, a modified file (partly staged), a staged new file, an untracked file, an
 * ignored .env, an ignored node_modules/, two unpushed commits on a branch, a stash, a hook.
 */
export async function makeGitScenario(): Promise<GitScenario> {
  const base = await tempDir();
  const remote = join(base, 'remote.git');
  const wc = join(base, 'wc');
  git(base, 'init', '-q', '--bare', remote);
  git(base, 'clone', '-q', remote, wc);
  await writeFiles(wc, {
    'README.md': '# demo\n',
    'package.json': '{ "name": "demo" }\n',
    'src/index.js': 'export const one = 1;\n',
    'assets/logo.svg': '<svg/>\n',
    '.gitignore': '.env\nnode_modules/\n',
  });
  git(wc, 'add', '-A');
  git(wc, 'commit', '-q', '-m', 'first');
  git(wc, 'push', '-q', '-u', 'origin', 'main');

  git(wc, 'checkout', '-q', '-b', 'feature');
  await writeFiles(wc, { 'src/feature.js': 'export const feature = 1;\n' });
  git(wc, 'add', 'src/feature.js');
  git(wc, 'commit', '-q', '-m', 'feature, part one');
  await writeFiles(wc, { 'src/feature.js': 'export const feature = 2;\n' });
  git(wc, 'commit', '-q', '-am', 'feature, part two');
  git(wc, 'checkout', '-q', 'main');

  await writeFiles(wc, { 'README.md': '# demo\n\nwork in progress\n' });
  git(wc, 'stash', 'push', '-q', '-m', 'readme draft');

  // src/index.js is partly staged: the index holds one version, the working tree a later one.
  await writeFiles(wc, { 'src/index.js': 'export const one = 1;\nexport const two = 2;\n' });
  git(wc, 'add', 'src/index.js');
  await writeFiles(wc, {
    'src/index.js': 'export const one = 1;\nexport const two = 2;\nexport const three = 3;\n',
    'src/new.js': 'export const fresh = true;\n',
    'notes.txt': 'remember the milk\n',
    '.env': 'API_TOKEN=s3cret\n',
    'node_modules/pkg/index.js': 'module.exports = 1;\n',
  });
  git(wc, 'add', 'src/new.js');
  const hook = join(wc, '.git', 'hooks', 'pre-commit');
  await writeFile(hook, '#!/bin/sh\nexit 0\n');
  await chmod(hook, 0o755);
  return { base, remote, wc };
}

/** Moves the scenario's remote away (a remote that has gone); returns where it went. */
export async function loseRemote(scenario: GitScenario): Promise<string> {
  const gone = `${scenario.remote}.gone`;
  await rename(scenario.remote, gone);
  return gone;
}

/** What must come back: working tree, HEAD, branch, branches, stash, index (porcelain v2 holds the index's blob ids). */
export function gitFacts(dir: string): Record<string, string> {
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    branch: git(dir, 'symbolic-ref', '--short', 'HEAD'),
    branches: git(dir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'),
    unpushed: git(dir, 'log', '--format=%H %s', 'main..feature'),
    stash: git(dir, 'stash', 'list', '--format=%H %gs'),
    stashDiff: git(dir, 'stash', 'show', '-p', 'stash@{0}'),
    status: git(dir, 'status', '--porcelain=v2', '--untracked-files=all'),
    upstream: git(dir, 'rev-parse', '--abbrev-ref', 'main@{upstream}'),
  };
}

/** A parent repository with a submodule, both committed and pushed to local bare remotes (protocol.file allowed for the submodule). */
export async function makeSubmoduleScenario(): Promise<{ base: string; remote: string; subRemote: string; wc: string }> {
  const base = await tempDir();
  const subRemote = join(base, 'lib.git');
  const remote = join(base, 'app.git');
  const seed = join(base, 'lib-seed');
  const wc = join(base, 'app');
  git(base, 'init', '-q', '--bare', subRemote);
  git(base, 'init', '-q', '--bare', remote);
  git(base, 'clone', '-q', subRemote, seed);
  await writeFiles(seed, { 'lib.js': 'export const lib = 1;\n', 'docs/lib.md': '# lib\n' });
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'lib');
  git(seed, 'push', '-q', '-u', 'origin', 'main');
  git(base, 'clone', '-q', remote, wc);
  await writeFiles(wc, { 'README.md': '# app\n', 'src/app.js': 'import "../lib/lib.js";\n' });
  git(wc, 'submodule', 'add', '-q', subRemote, 'lib');
  git(wc, 'add', '-A');
  git(wc, 'commit', '-q', '-m', 'app with lib');
  git(wc, 'push', '-q', '-u', 'origin', 'main');
  return { base, remote, subRemote, wc };
}

/**
 * A clone (pushed once) whose local branches `main` and `other` both changed f.txt and g.txt, then
 * `operation` started on main: 'merge' (git merge other) or 'rebase' (git rebase other), stopped on
 * the conflicts; g.txt is resolved and staged (its blob is in no commit), f.txt still conflicted.
 */
export async function makeOperationScenario(operation: 'merge' | 'rebase'): Promise<{ base: string; remote: string; wc: string }> {
  const base = await tempDir();
  const remote = join(base, 'remote.git');
  const wc = join(base, 'wc');
  git(base, 'init', '-q', '--bare', remote);
  git(base, 'clone', '-q', remote, wc);
  await writeFiles(wc, { 'f.txt': 'f\n', 'g.txt': 'g\n', 'h.txt': 'h\n' });
  git(wc, 'add', '-A');
  git(wc, 'commit', '-q', '-m', 'base');
  git(wc, 'push', '-q', '-u', 'origin', 'main');
  git(wc, 'checkout', '-q', '-b', 'other');
  await writeFiles(wc, { 'f.txt': 'f on other\n', 'g.txt': 'g on other\n' });
  git(wc, 'commit', '-q', '-am', 'other');
  git(wc, 'checkout', '-q', 'main');
  await writeFiles(wc, { 'f.txt': 'f on main\n', 'g.txt': 'g on main\n' });
  git(wc, 'commit', '-q', '-am', 'main');
  try {
    git(wc, ...(operation === 'merge' ? ['merge', '-q', 'other'] : ['rebase', '-q', 'other']));
  } catch {
    // Stopped on the conflicts, as intended.
  }
  await writeFiles(wc, { 'g.txt': 'g resolved by hand\n' });
  git(wc, 'add', 'g.txt');
  return { base, remote, wc };
}

/** What must come back of an operation in progress: status (long, it names the operation), index stages, its state files. */
export function operationFacts(dir: string): Record<string, string> {
  const gitDir = git(dir, 'rev-parse', '--absolute-git-dir').trim();
  const read = (name: string) => git(dir, 'rev-parse', '-q', '--verify', name, '--').trim();
  return {
    status: git(dir, 'status'),
    stages: git(dir, 'ls-files', '-s'),
    head: read('HEAD'),
    mergeHead: execOr(() => read('MERGE_HEAD')),
    rebase: existsSync(join(gitDir, 'rebase-merge'))
      ? readdirSync(join(gitDir, 'rebase-merge')).sort().map((name) => `${name}: ${statSync(join(gitDir, 'rebase-merge', name)).isFile() ? readFileSync(join(gitDir, 'rebase-merge', name), 'utf8') : '(folder)'}`).join('\n')
      : '(none)',
    diff: git(dir, 'diff'),
  };
}

function execOr(run: () => string): string {
  try {
    return run();
  } catch {
    return '(none)';
  }
}
