import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonSummary, tempDir } from './run-cli.js';

/** home/real/tree holds files and the repository (home/real/tree/repo); home/alias is a symlink to home/real. */
async function layout(): Promise<{ home: string; tree: string; alias: string; repo: string }> {
  const home = await tempDir();
  const tree = join(home, 'real', 'tree');
  await mkdir(join(tree, 'sub'), { recursive: true });
  await writeFile(join(tree, 'a.bin'), randomBytes(50_000));
  await writeFile(join(tree, 'sub', 'b.txt'), 'b\n');
  await symlink(join(home, 'real'), join(home, 'alias'));
  const repo = join(tree, 'repo');
  expect((await cairn(['init', '--repo', repo], { home })).code).toBe(0);
  return { home, tree, alias: join(home, 'alias', 'tree'), repo };
}

/**
 * Backs `path` up twice into `repoFlag`; the snapshots hold no file of the repository, and the second
 * adds nothing; with `note`, the backup says that it leaves the repository out.
 */
async function twice(home: string, path: string, repoFlag: string, note = true): Promise<void> {
  const runs = [];
  for (let i = 0; i < 2; i += 1) {
    const run = await cairn(['backup', path, '--repo', repoFlag, '--json'], { home });
    expect(run.code, run.stderr).toBe(0);
    if (note) expect(run.stderr).toContain(`note: not backing up the repository itself (${repoFlag})`);
    runs.push(jsonSummary(run.stdout) as { summary: { filesNew: number; bytesAdded: number } });
    const ls = await cairn(['ls', 'latest', '--repo', repoFlag], { home });
    expect(ls.code, ls.stderr).toBe(0);
    const lines = ls.stdout.split('\n');
    expect(lines).toContain('tree/sub/b.txt');
    expect(lines.filter((line) => line.startsWith('tree/repo'))).toEqual([]);
  }
  // Without the repository in it, the second backup finds nothing new (not the first one's packs).
  expect(runs[0]?.summary.filesNew).toBe(2);
  expect(runs[1]?.summary).toMatchObject({ filesNew: 0, bytesAdded: 0 });
}

describe('a repository inside the folder being backed up, reached by another path', () => {
  it('is left out when the backup goes through a symlinked parent', async () => {
    const { home, alias, repo } = await layout();
    await twice(home, alias, repo);
  });

  it('is left out when --repo goes through a symlinked parent', async () => {
    const { home, tree } = await layout();
    await twice(home, tree, join(home, 'alias', 'tree', 'repo'));
  });

  it('is left out when the folder is reached through a bind mount', async (context) => {
    const { home, tree, repo } = await layout();
    const bind = join(home, 'bind', 'tree');
    await mkdir(bind, { recursive: true });
    try {
      execFileSync('mount', ['--bind', tree, bind], { stdio: 'pipe' });
    } catch (error) {
      context.skip(`mount --bind is not available here: ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`);
    }
    try {
      await twice(home, bind, repo, false); // no note: a bind mount is not a path realpath sees through
    } finally {
      execFileSync('umount', [bind]);
    }
  });
});
