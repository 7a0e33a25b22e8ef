import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { backup, initRepository } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { createProjectSelector } from '@cairn/vcs/selector';
import { makeGitScenario } from '../../vcs/test/git-scenario.js';
import { tempDir } from './helpers.js';

async function filesOf(repo: Repository, tree: Id, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const nodes: TreeNode[] = await repo.loadTree(tree, 'test');
  for (const node of nodes) {
    const path = `${prefix}${node.name}`;
    if (node.type === 'dir' && node.subtree !== undefined) out.push(...(await filesOf(repo, node.subtree, `${path}/`)));
    else if (node.type === 'file') out.push(path);
  }
  return out;
}

describe('exclude options beside the entry selector', () => {
  it('come first (a secret the policy keeps is excluded), and never touch a working copy\'s extras', async () => {
    const { wc } = await makeGitScenario();
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const { snapshot } = await backup(repo, {
      source: createLocalSource(), paths: [wc],
      selector: createProjectSelector({ roots: [wc], vcs: 'changes', policy: () => ({}) }),
      exclude: { patterns: ['.env', 'config', '*.bundle', 'hooks'], caseInsensitivePatterns: ['NOTES.TXT'] },
    });
    const files = await filesOf(repo, snapshot.tree);
    expect(files).not.toContain('wc/.env');
    expect(files).not.toContain('wc/notes.txt');
    expect(files).toContain('wc/src/index.js');
    expect(snapshot.skipped?.map((entry) => [entry.path, entry.class])).toEqual([
      ['/wc/.env', 'excluded'], ['/wc/.git/', 'vcs'], ['/wc/node_modules/', 'dependency'], ['/wc/notes.txt', 'excluded'],
    ]);
    const extras = await filesOf(repo, snapshot.vcs?.[0]?.extras ?? new Uint8Array());
    expect(extras).toEqual(expect.arrayContaining(['git.bundle', 'config']));
  });

  it('a bad pattern or size is refused before anything is written', async () => {
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const src = await tempDir();
    await expect(backup(repo, { source: createLocalSource(), paths: [src], exclude: { patterns: ['[x'] } })).rejects.toThrow(RangeError);
    await expect(backup(repo, { source: createLocalSource(), paths: [src], exclude: { largerThan: -1 } })).rejects.toThrow(/whole number of bytes/);
    for (const type of ['snapshot', 'lock', 'data', 'index'] as const) {
      const names: string[] = [];
      for await (const file of repo.backend.list(type)) names.push(file.name);
      expect(names, type).toEqual([]);
    }
  });
});
