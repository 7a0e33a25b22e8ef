import { createHash } from 'node:crypto';
import { cp, readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { check, listSnapshots, openRepository, restore } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { tempDir } from './helpers.js';

const golden = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'golden-v2');

interface Manifest {
  snapshot: string;
  head: string;
  stored: Record<string, string>;
  referenced: string[];
  skipped: unknown[];
  classes: unknown;
}

async function fileNodes(repo: Repository, tree: Id, prefix = ''): Promise<Map<string, TreeNode>> {
  const out = new Map<string, TreeNode>();
  for (const node of await repo.loadTree(tree, 'golden-v2')) {
    const path = `${prefix}${node.name}`;
    if (node.subtree !== undefined) for (const [p, n] of await fileNodes(repo, node.subtree, `${path}/`)) out.set(p, n);
    else if (node.type === 'file') out.set(path, node);
  }
  return out;
}

describe('golden repository with file format version 2 (a --vcs changes snapshot)', () => {
  it('still opens, checks clean, reads its working-copy record, and restores what it stored', async () => {
    const manifest = JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8')) as Manifest;
    const work = await tempDir();
    await cp(join(golden, 'repo'), join(work, 'repo'), { recursive: true });
    const repo = await openRepository(createLocalBackend(join(work, 'repo')));
    expect((await check(repo, { readData: true })).problems).toEqual([]);

    const { snapshots } = await listSnapshots(repo);
    expect(snapshots.map((s) => s.id)).toEqual([manifest.snapshot]);
    const snapshot = snapshots[0]!.snapshot;
    expect(snapshot.skipped).toEqual(manifest.skipped);
    expect(snapshot.classes).toEqual(manifest.classes);
    expect(snapshot.summary.filesReferenced).toBe(manifest.referenced.length);
    const [record] = snapshot.vcs ?? [];
    expect(record).toMatchObject({ path: '/app', mode: 'changes' });
    expect(JSON.parse(record!.state)).toMatchObject({ vcs: 'git', head: manifest.head, branch: 'main', pushed: true, dirty: true });
    expect([...(await fileNodes(repo, record!.extras!)).keys()]).toContain('config');

    const files = await fileNodes(repo, snapshot.tree);
    for (const path of manifest.referenced) expect(files.get(path)?.ref?.commit, path).toBe(manifest.head);
    for (const path of Object.keys(manifest.stored)) expect(files.get(path)?.content, path).toBeDefined();

    // Not into a local folder: the stored files come back; the referenced ones are named.
    const out = join(work, 'out');
    const restored = await restore(repo, manifest.snapshot, { target: createLocalTarget(out) });
    expect(restored.problems.map((p) => p.message)).toEqual([expect.stringContaining(`${manifest.referenced.length} file(s) recorded by reference to git were not restored`) as string]);
    for (const [path, sha] of Object.entries(manifest.stored)) {
      expect(createHash('sha256').update(await readFile(join(out, path))).digest('hex'), path).toBe(sha);
    }
    expect((await readdir(join(out, 'app'))).sort()).toEqual(['.env', 'notes.txt', 'src']);
  });
});
