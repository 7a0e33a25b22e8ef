import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EntrySelector, Id } from '@cairn/core';
import { backup, initRepository } from '@cairn/repository';
import { createProjectSelector } from '@cairn/vcs/selector';
import type { Repository } from '@cairn/repository';
import type { PolicyOptions } from '@cairn/vcs';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { makeGitScenario } from '../../vcs/test/git-scenario.js';
import { git } from '../../vcs/test/helpers.js';
import { tempDir } from './helpers.js';

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

async function storedPaths(repo: Repository, tree: Id, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const node of await repo.loadTree(tree, 'test')) {
    const path = `${prefix}${node.name}`;
    if (node.subtree !== undefined) out.push(...(await storedPaths(repo, node.subtree, `${path}/`)));
    else out.push(path);
  }
  return out;
}

/** A folder of several projects, each of another stack, with what their tools generate. */
async function stacks(root: string): Promise<void> {
  await write(root, {
    'web/package.json': '{}', 'web/src/app.ts': 'x', 'web/node_modules/react/index.js': 'x', 'web/dist/app.js': 'x',
    'web/dist/licenses/LICENSE.txt': 'MIT', 'web/.next/cache.json': '{}', 'web/.env': 'KEY=1', 'web/.gitignore': '.env\ndist/\n*.tmp\n',
    'web/scratch.tmp': 'x', 'web/logo.png': 'png',
    'crate/Cargo.toml': '[package]', 'crate/src/main.rs': 'fn main() {}', 'crate/target/debug/crate': 'elf',
    'py/pyproject.toml': '[project]', 'py/pkg/mod.py': 'x = 1', 'py/pkg/__pycache__/mod.cpython-311.pyc': 'pyc', 'py/.venv/bin/python': 'x',
    'cpp/CMakeLists.txt': 'project(x)', 'cpp/main.cpp': 'int main() {}', 'cpp/build/main.o': 'obj',
    'notes.md': '# notes',
  });
}

/** The same selector, asked entry by entry: byName hidden. */
function entryByEntry(inner: EntrySelector): EntrySelector {
  return { begin: (lookup) => inner.begin?.(lookup), enterDir: (path, names) => inner.enterDir(path, names), decide: (path, type) => inner.decide(path, type), finish: (signal) => inner.finish(signal), close: () => inner.close() };
}

async function run(policy: PolicyOptions) {
  const work = await tempDir();
  const root = join(work, 'clients');
  await stacks(root);
  const repo = await initRepository(createLocalBackend(join(work, 'repo')));
  const result = await backup(repo, { source: createLocalSource(), paths: [root], selector: createProjectSelector({ roots: [root], vcs: 'full', policy: () => policy }) });
  return { repo, result, stored: (await storedPaths(repo, result.snapshot.tree)).sort() };
}

describe('policies in a backup of a tree with several stacks', () => {
  it('skips what each stack generates and its dependencies, lists every skip with its rule, keeps secrets, and classes what it stores', async () => {
    const { result, stored } = await run({});
    expect(stored).toEqual([
      'clients/cpp/CMakeLists.txt', 'clients/cpp/main.cpp', 'clients/crate/Cargo.toml', 'clients/crate/src/main.rs', 'clients/notes.md',
      'clients/py/pkg/mod.py', 'clients/py/pyproject.toml', 'clients/web/.env', 'clients/web/.gitignore', 'clients/web/logo.png',
      'clients/web/package.json', 'clients/web/src/app.ts',
    ]);
    const skipped = Object.fromEntries((result.snapshot.skipped ?? []).map((entry) => [entry.path, `${entry.class}: ${entry.reason}`]));
    expect(Object.keys(skipped).sort()).toEqual([
      '/clients/cpp/build/', '/clients/crate/target/', '/clients/py/.venv/', '/clients/py/pkg/__pycache__/',
      '/clients/web/.next/', '/clients/web/dist/', '/clients/web/node_modules/', '/clients/web/scratch.tmp',
    ]);
    expect(skipped['/clients/web/node_modules/']).toMatch(/^dependency: node preset/);
    expect(skipped['/clients/crate/target/']).toMatch(/^generated: rust preset/);
    expect(skipped['/clients/web/scratch.tmp']).toMatch(/^generated: ignored by .*\.gitignore/);
    const classes = result.snapshot.classes ?? {};
    expect(Object.values(classes).reduce((sum, c) => sum + c.files, 0)).toBe(stored.length);
    expect(classes['asset']?.files).toBe(1); // logo.png
  });

  it('a user include glob overrides a preset, an exclude glob wins over the default, and kept classes are stored', async () => {
    const { stored, result } = await run({ include: ['web/dist/licenses/**'], exclude: ['notes.md'], skipClasses: ['dependency'] });
    expect(stored).toContain('clients/web/dist/licenses/LICENSE.txt');
    expect(stored).not.toContain('clients/notes.md');
    // generated is no longer skipped: build output is kept, dependencies are not.
    expect(stored).toContain('clients/crate/target/debug/crate');
    expect(stored).not.toContain('clients/web/node_modules/react/index.js');
    expect((result.snapshot.skipped ?? []).find((entry) => entry.path === '/clients/notes.md')?.reason).toContain('excluded by the glob "notes.md"');
  });
});

describe('folders decided by name', () => {
  it('give the snapshot that deciding every entry gives: the same trees, skips, classes and working copies', async () => {
    // Plain folders, stacks, .gitignore files and a git working copy (in `changes` mode) side by side.
    const { base, wc } = await makeGitScenario();
    await stacks(join(base, 'clients'));
    await write(base, { 'docs/guide.md': '# guide', 'docs/img/shot.png': 'png', 'docs/deep/er/notes.txt': 'x', 'tools/.gitignore': '*.tmp\nout/\n', 'tools/a.tmp': 'x', 'tools/b.c': 'x', 'tools/out/c.o': 'x' });
    await write(wc, { 'lib/plain/a.js': 'x', 'node_modules/dep/index.js': 'x' });
    // A working copy without a stack's marker: its folders are plain to the policy, but their clean pushed files are references.
    const plainCopy = join(base, 'plainwc');
    git(base, 'init', '-q', '--bare', join(base, 'plain.git'));
    git(base, 'clone', '-q', join(base, 'plain.git'), plainCopy);
    await write(plainCopy, { 'notes/a.txt': 'pushed', 'notes/deeper/b.txt': 'pushed' });
    git(plainCopy, 'add', '-A');
    git(plainCopy, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'first');
    git(plainCopy, 'push', '-q', '-u', 'origin', 'main');
    await write(plainCopy, { 'notes/local.txt': 'not pushed' });
    const backupWith = async (selector: EntrySelector) => {
      const work = await tempDir();
      const repo = await initRepository(createLocalBackend(join(work, 'repo')));
      return backup(repo, { source: createLocalSource(), paths: [base], selector, time: new Date('2026-01-01T00:00:00Z') });
    };
    const selector = (): EntrySelector => createProjectSelector({ roots: [base], vcs: 'changes', policy: () => ({}) });
    const everyEntry = (): EntrySelector => entryByEntry(selector());
    const counted = selector();
    const named: string[] = [];
    const byName = counted.byName!.bind(counted);
    counted.byName = (path) => {
      const rule = byName(path);
      if (rule !== undefined) named.push(path);
      return rule;
    };
    const fast = await backupWith(counted);
    const slow = await backupWith(everyEntry());
    expect(fast.snapshot.tree).toEqual(slow.snapshot.tree);
    expect(fast.snapshot.skipped).toEqual(slow.snapshot.skipped);
    expect(fast.snapshot.classes).toEqual(slow.snapshot.classes);
    // The counts of the walk (the bytes added differ by the working copies' extras: a git bundle is not byte-for-byte repeatable).
    const counts = ({ filesNew, filesChanged, filesUnchanged, filesReferenced, dirs, symlinks, others }: typeof fast.snapshot.summary) => ({ filesNew, filesChanged, filesUnchanged, filesReferenced, dirs, symlinks, others });
    expect(counts(fast.snapshot.summary)).toEqual(counts(slow.snapshot.summary));
    const top = `/${base.split('/').pop()!}`;
    expect(fast.snapshot.vcs?.map(({ path, mode }) => [path, mode])).toEqual([[`${top}/plainwc`, 'changes'], [`${top}/wc`, 'changes']]);
    expect(fast.snapshot.summary.filesReferenced).toBe(6); // wc's four, and plainwc's notes/a.txt and notes/deeper/b.txt
    expect(fast.snapshot.vcs?.map(({ path, mode }) => [path, mode])).toEqual(slow.snapshot.vcs?.map(({ path, mode }) => [path, mode]));
    expect(fast.snapshot.skipped?.map((entry) => entry.path)).toContain(`${top}/tools/a.tmp`);
    // Folders no glob and no .gitignore reaches were decided by name, those of the stacks too; the working copies' and those a .gitignore reaches never.
    expect(named).toEqual(expect.arrayContaining([base, join(base, 'docs'), join(base, 'docs', 'img'), join(base, 'docs', 'deep', 'er'),
      join(base, 'clients', 'crate'), join(base, 'clients', 'crate', 'src'), join(base, 'clients', 'py'), join(base, 'clients', 'py', 'pkg'), join(base, 'clients', 'cpp')]));
    for (const path of named) {
      const inside = [wc, plainCopy, join(base, 'clients', 'web'), join(base, 'tools')].some((folder) => path === folder || path.startsWith(`${folder}/`));
      expect(inside, path).toBe(false);
    }
  });

  it('below stack markers (packages in node_modules, each with its own), give the snapshot deciding every entry gives, with the default classes skipped or all kept', async () => {
    const base = await tempDir();
    await write(base, {
      'modules/node_modules/a/package.json': '{}', 'modules/node_modules/a/index.js': 'x', 'modules/node_modules/a/dist/a.js': 'x',
      'modules/node_modules/a/lib/dist/keep.js': 'x', 'modules/node_modules/a/node_modules/b/package.json': '{}', 'modules/node_modules/a/node_modules/b/b.js': 'x',
      'modules/node_modules/c/package.json': '{}', 'modules/node_modules/c/coverage/lcov.info': 'x', 'modules/node_modules/c/src/deep/er/c.ts': 'x',
      'modules/node_modules/c/tool/setup.py': 'x', 'modules/node_modules/c/tool/m.pyc': 'x', 'modules/node_modules/c/tool/sub/n.pyc': 'x', 'modules/node_modules/c/tool/dist/d.js': 'x',
      'app/package.json': '{}', 'app/node_modules/d/package.json': '{}', 'app/node_modules/d/d.js': 'x', 'app/src/dist/e.ts': 'x', 'app/dist/f.js': 'x',
    });
    for (const policy of [{}, { skipClasses: [] }] as const) {
      const selector = (): EntrySelector => createProjectSelector({ roots: [base], vcs: 'off', policy: () => policy });
      const snapshotWith = async (chosen: EntrySelector) => {
        const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
        const { snapshot } = await backup(repo, { source: createLocalSource(), paths: [base], selector: chosen, time: new Date('2026-01-01T00:00:00Z') });
        return { repo, snapshot };
      };
      const fast = await snapshotWith(selector());
      const slow = await snapshotWith(entryByEntry(selector()));
      expect(fast.snapshot.tree, JSON.stringify(policy)).toEqual(slow.snapshot.tree);
      expect(fast.snapshot.skipped, JSON.stringify(policy)).toEqual(slow.snapshot.skipped);
      expect(fast.snapshot.classes, JSON.stringify(policy)).toEqual(slow.snapshot.classes);
      const top = `/${base.split('/').pop()!}`;
      const skipped = (fast.snapshot.skipped ?? []).map((entry) => entry.path.slice(top.length + 1)).sort();
      if (policy.skipClasses === undefined) {
        expect(skipped).toEqual(['app/dist/', 'app/node_modules/', 'modules/node_modules/a/dist/', 'modules/node_modules/a/node_modules/',
          'modules/node_modules/c/coverage/', 'modules/node_modules/c/tool/m.pyc', 'modules/node_modules/c/tool/sub/n.pyc']);
        const stored = await storedPaths(fast.repo, fast.snapshot.tree);
        expect(stored).toEqual(expect.arrayContaining(['modules/node_modules/a/lib/dist/keep.js', 'modules/node_modules/c/tool/dist/d.js', 'app/src/dist/e.ts'].map((path) => `${top.slice(1)}/${path}`)));
      } else {
        expect(skipped).toEqual([]);
        expect(fast.snapshot.classes?.['dependency']?.files).toBe(4); // app/node_modules/d's two and a/node_modules/b's two
      }
    }
  });

  it('leave an entry that is itself a backup path to decide(): a file given beside its folder keeps its own decision', async () => {
    const base = await tempDir();
    await write(base, { 'docs/guide.md': '# guide', 'docs/notes.txt': 'x' });
    const file = join(base, 'docs', 'guide.md');
    const folder = join(base, 'docs');
    const selector = (): EntrySelector => createProjectSelector({ roots: [file, folder], vcs: 'off', policy: () => ({}) });
    const everyEntry = (): EntrySelector => entryByEntry(selector());
    const classesWith = async (chosen: EntrySelector) => {
      const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
      return (await backup(repo, { source: createLocalSource(), paths: [file, folder], selector: chosen })).snapshot.classes;
    };
    const fast = await classesWith(selector());
    expect(fast).toEqual(await classesWith(everyEntry()));
    // The file given as a path is stored without a class (decide's answer for a backup path), in the folder too.
    expect(fast?.['source']?.files).toBe(1); // notes.txt only
  });
});
