import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Id } from '@cairn/core';
import { backup, initRepository } from '@cairn/repository';
import { createProjectSelector } from '@cairn/vcs/selector';
import type { Repository } from '@cairn/repository';
import type { PolicyOptions } from '@cairn/vcs';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
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
