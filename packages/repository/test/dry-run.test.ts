import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Id } from '@cairn/core';
import { backup, dryRunBackup, initRepository, openRepository } from '@cairn/repository';
import type { BackupEntry, BackupOptions, Repository } from '@cairn/repository';
import { createProjectSelector } from '@cairn/vcs/selector';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { describeTree, seededBytes, tempDir } from './helpers.js';

async function write(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
  }
}

/** The snapshot paths of the files under a tree ("/app/src/a.ts"). */
async function storedFiles(repo: Repository, tree: Id, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const node of await repo.loadTree(tree, 'test')) {
    const path = `${prefix}/${node.name}`;
    if (node.subtree !== undefined) out.push(...(await storedFiles(repo, node.subtree, path)));
    else if (node.type === 'file') out.push(path);
  }
  return out.sort();
}

/** A node project: sources, a dependency folder and build output the policy skips, a symlink. */
async function project(work: string): Promise<string> {
  const root = join(work, 'app');
  await write(root, {
    'package.json': '{"name":"app"}', 'src/index.ts': 'export {}', 'src/big.bin': seededBytes(300_000, 3), '.gitignore': 'dist/\n*.log\n',
    'node_modules/left-pad/index.js': 'x', 'dist/app.js': 'y', 'debug.log': 'z', 'docs/readme.md': '# app',
  });
  return root;
}

function optionsOf(root: string, extra: Partial<BackupOptions> = {}): BackupOptions {
  return { source: createLocalSource(), paths: [root], selector: createProjectSelector({ roots: [root], vcs: 'off', policy: () => ({}) }), ...extra };
}

async function dryRun(repoPath: string, root: string): Promise<{ result: Awaited<ReturnType<typeof dryRunBackup>>; entries: BackupEntry[]; before: Map<string, string>; after: Map<string, string> }> {
  const before = await describeTree(repoPath);
  const entries: BackupEntry[] = [];
  const result = await dryRunBackup(await openRepository(createLocalBackend(repoPath)), optionsOf(root, { onEntry: (entry) => entries.push(entry) }));
  return { result, entries, before, after: await describeTree(repoPath) };
}

const storedOf = (entries: readonly BackupEntry[]): string[] =>
  entries.filter((e) => e.type === 'file' && (e.status === 'new' || e.status === 'changed')).map((e) => e.path).sort();

describe('a dry run of a backup', () => {
  it('lists the files and skips the real backup then makes, with the same counts and root tree, and leaves every repository file as it was', async () => {
    const work = await tempDir();
    const root = await project(work);
    const repoPath = join(work, 'repo');
    await initRepository(createLocalBackend(repoPath));

    const first = await dryRun(repoPath, root);
    expect(first.after).toEqual(first.before);
    expect(first.result.parent).toBeNull();
    const real = await backup(await openRepository(createLocalBackend(repoPath)), optionsOf(root));
    const repo = await openRepository(createLocalBackend(repoPath));
    const files = await storedFiles(repo, real.snapshot.tree);
    expect(files).toEqual(['/app/.gitignore', '/app/docs/readme.md', '/app/package.json', '/app/src/big.bin', '/app/src/index.ts']);
    expect(storedOf(first.entries)).toEqual(files);
    expect(first.result.skipped).toEqual(real.snapshot.skipped);
    expect(first.result.skipped.map((s) => s.path).sort()).toEqual(['/app/debug.log', '/app/dist/', '/app/node_modules/']);
    expect(first.result.tree).toBe(Buffer.from(real.snapshot.tree).toString('hex'));
    const { durationMs: _a, bytesAdded: dryAdded, packsAdded: _p, ...dryCounts } = first.result.summary;
    const { durationMs: _b, bytesAdded: realAdded, packsAdded, ...realCounts } = real.snapshot.summary;
    expect(dryCounts).toEqual(realCounts);
    expect(realCounts.bytesRead).toBe(300_000 + 9 + 14 + 12 + 5);
    expect(packsAdded).toBeGreaterThan(0);
    // Plain bytes of the new blobs: at least what was read (every file is new), about what a real backup stores.
    expect(dryAdded).toBeGreaterThanOrEqual(realCounts.bytesRead);
    expect(Math.abs(dryAdded - realAdded)).toBeLessThan(realAdded * 0.05);

    // Against the parent: one file changed, one new, one removed; the rest is unchanged and not listed.
    await appendFile(join(root, 'src/index.ts'), '\nexport const x = 1;\n');
    await write(root, { 'src/new.ts': 'new', 'node_modules/more/index.js': 'skipped' });
    await rm(join(root, 'docs'), { recursive: true });
    const second = await dryRun(repoPath, root);
    expect(second.after).toEqual(second.before);
    expect(second.result.parent).toBe(real.id);
    expect(second.entries.filter((e) => e.type === 'file').map((e) => `${e.status} ${e.path}`).sort()).toEqual([
      'changed /app/src/index.ts', 'new /app/src/new.ts', 'unchanged /app/.gitignore', 'unchanged /app/package.json', 'unchanged /app/src/big.bin',
    ]);
    const again = await backup(await openRepository(createLocalBackend(repoPath)), optionsOf(root));
    expect(again.snapshot.summary).toMatchObject({ filesNew: 1, filesChanged: 1, filesUnchanged: 2 + 1 });
    expect(second.result.summary).toMatchObject({ filesNew: 1, filesChanged: 1, filesUnchanged: 3, bytesRead: again.snapshot.summary.bytesRead, dataBlobsAdded: again.snapshot.summary.dataBlobsAdded });
    expect(second.result.tree).toBe(Buffer.from(again.snapshot.tree).toString('hex'));
    expect(storedOf(second.entries)).toEqual(['/app/src/index.ts', '/app/src/new.ts']);
  });
});
