import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, diffContent, diffSnapshots, initRepository } from '@cairn/repository';
import type { DiffChange, DiffResult, Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { createProjectSelector } from '@cairn/vcs/selector';
import { makeGitScenario } from '../../vcs/test/git-scenario.js';
import { git } from '../../vcs/test/helpers.js';
import { seededBytes, tempDir } from './helpers.js';

/** "M proj/a.txt", "R proj/x -> proj/y" for each change. */
function lines(result: DiffResult): string[] {
  const mark = { added: '+', removed: '-', modified: 'M', metadata: 'U', type: 'T', renamed: 'R' } as const;
  return result.changes.map((c) => `${mark[c.kind]} ${c.oldPath === undefined ? '' : `${c.oldPath} -> `}${c.path}`);
}

/** The repository with tree loads counted. */
function counting(repo: Repository): { repo: Repository; loads: () => number } {
  let n = 0;
  const counted = Object.create(repo) as Repository & { loadTree: Repository['loadTree'] };
  Object.defineProperty(counted, 'loadTree', { value: async (...args: Parameters<Repository['loadTree']>) => { n += 1; return repo.loadTree(...args); } });
  return { repo: counted, loads: () => n };
}

/** A hand-made pair of trees: one snapshot before, one after every kind of change. */
async function handMadePair(): Promise<{ repo: Repository; a: string; b: string; source: string }> {
  const work = await tempDir();
  const source = join(work, 'proj');
  await mkdir(join(source, 'sub'), { recursive: true });
  await mkdir(join(source, 'same', 'deep'), { recursive: true });
  await writeFile(join(source, 'keep.txt'), 'unchanged\n');
  await writeFile(join(source, 'mod.txt'), 'one\ntwo\nthree\n');
  await writeFile(join(source, 'gone.txt'), 'bye\n');
  await writeFile(join(source, 'perm.sh'), '#!/bin/sh\n');
  await chmod(join(source, 'perm.sh'), 0o644);
  await writeFile(join(source, 'link-me.txt'), 'soon a link\n');
  await writeFile(join(source, 'old-name.dat'), seededBytes(5000, 3));
  await writeFile(join(source, 'bin.dat'), Buffer.concat([Buffer.from([0, 1, 2]), seededBytes(100, 4)]));
  await writeFile(join(source, 'same', 'deep', 'x.txt'), 'x\n');
  const repo = await initRepository(createLocalBackend(join(work, 'repo')));
  const first = await backup(repo, { source: createLocalSource(), paths: [source], time: new Date('2024-01-01T00:00:00Z') });

  await writeFile(join(source, 'mod.txt'), 'one\nTWO\nthree\n');
  await rm(join(source, 'gone.txt'));
  await writeFile(join(source, 'new.txt'), 'hello\n');
  await chmod(join(source, 'perm.sh'), 0o755);
  await rm(join(source, 'link-me.txt'));
  await symlink('keep.txt', join(source, 'link-me.txt'));
  await rename(join(source, 'old-name.dat'), join(source, 'sub', 'new-name.dat'));
  await writeFile(join(source, 'bin.dat'), Buffer.concat([Buffer.from([0, 1, 3]), seededBytes(100, 4)]));
  await mkdir(join(source, 'newdir'));
  await writeFile(join(source, 'newdir', 'a.txt'), 'a\n');
  const second = await backup(repo, { source: createLocalSource(), paths: [source], time: new Date('2024-01-02T00:00:00Z') });
  return { repo, a: first.id, b: second.id, source };
}

describe('diff of two snapshots', () => {
  it('names each kind of change once: added, removed, modified, metadata only, type changed, renamed', async () => {
    const { repo, a, b } = await handMadePair();
    const result = await diffSnapshots(repo, { ref: a }, { ref: b });
    expect(lines(result)).toEqual([
      'M proj/bin.dat',
      '- proj/gone.txt',
      'T proj/link-me.txt',
      'M proj/mod.txt',
      '+ proj/new.txt',
      '+ proj/newdir',
      '+ proj/newdir/a.txt',
      'U proj/perm.sh',
      'R proj/old-name.dat -> proj/sub/new-name.dat',
    ]);
    const perm = result.changes.find((c) => c.path === 'proj/perm.sh');
    expect(perm?.fields).toContain('mode');
    expect(result.summary).toMatchObject({
      // new.txt, newdir/a.txt, and the chunk of mod.txt and of bin.dat the old file lacks.
      added: { files: 2, dirs: 1, others: 0, bytes: 6 + 2 + 14 + 103 },
      // gone.txt, the file link-me.txt was, and the old chunks of mod.txt and bin.dat.
      removed: { files: 1, dirs: 0, others: 0, bytes: 4 + 12 + 14 + 103 },
      modified: 2, metadata: 1, typeChanged: 1, renamed: 1,
    });
    // The unchanged folder same/ is never read: its tree id is equal on both sides.
    const { repo: counted, loads } = counting(repo);
    await diffSnapshots(counted, { ref: a }, { ref: b });
    // Root, proj (both sides), sub and newdir: not same/ nor same/deep.
    expect(loads()).toBe(2 + 2 + 2 + 1);
  });

  it('a snapshot against itself is empty, without reading a tree', async () => {
    const { repo, a } = await handMadePair();
    const { repo: counted, loads } = counting(repo);
    const result = await diffSnapshots(counted, { ref: a }, { ref: a });
    expect(result.changes).toEqual([]);
    expect(loads()).toBe(0);
  });

  it('compares a path in each snapshot (snap:subpath), and names a path that is not there', async () => {
    const { repo, a, b } = await handMadePair();
    const sub = await diffSnapshots(repo, { ref: a, path: 'proj/sub' }, { ref: b, path: 'proj/sub' });
    expect(lines(sub)).toEqual(['+ proj/sub/new-name.dat']);
    // Different folders: paths below each.
    const across = await diffSnapshots(repo, { ref: a, path: 'proj/same' }, { ref: b, path: 'proj/newdir' });
    expect(lines(across)).toEqual(['+ a.txt', '- deep', '- deep/x.txt']);
    // One file against itself in the next snapshot.
    const file = await diffSnapshots(repo, { ref: a, path: 'proj/mod.txt' }, { ref: b, path: '/proj/mod.txt' });
    expect(lines(file)).toEqual(['M proj/mod.txt']);
    await expect(diffSnapshots(repo, { ref: a, path: 'proj/nope' }, { ref: b })).rejects.toThrow(/has no proj\/nope/);
    await expect(diffSnapshots(repo, { ref: a, path: 'proj/keep.txt/x' }, { ref: b })).rejects.toThrow(/proj\/keep\.txt is not a folder/);
    await expect(diffSnapshots(repo, { ref: 'ffffffff' }, { ref: b })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('a unified diff of a changed text file; a binary file says so', async () => {
    const { repo, a, b } = await handMadePair();
    const result = await diffSnapshots(repo, { ref: a }, { ref: b });
    const change = (path: string): DiffChange => result.changes.find((c) => c.path === path) as DiffChange;
    const text = await diffContent(repo, change('proj/mod.txt'));
    expect(text).toEqual({ kind: 'text', patch: '--- a/proj/mod.txt\n+++ b/proj/mod.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n' });
    expect(await diffContent(repo, change('proj/bin.dat'))).toEqual({ kind: 'binary' });
    expect(await diffContent(repo, change('proj/mod.txt'), { maxBytes: 4 })).toEqual({ kind: 'too-large', limit: 4 });
  });

  it('pairs several files of the same content by base name first, then in path order', async () => {
    const work = await tempDir();
    const source = join(work, 'p');
    await mkdir(join(source, 'from'), { recursive: true });
    for (const name of ['a', 'b', 'c']) await writeFile(join(source, 'from', name), 'same bytes\n');
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const first = await backup(repo, { source: createLocalSource(), paths: [source] });
    await rm(join(source, 'from'), { recursive: true });
    await mkdir(join(source, 'to'));
    for (const name of ['b', 'x', 'y']) await writeFile(join(source, 'to', name), 'same bytes\n');
    const second = await backup(repo, { source: createLocalSource(), paths: [source] });
    expect(lines(await diffSnapshots(repo, { ref: first.id }, { ref: second.id }))).toEqual([
      '- p/from',
      '+ p/to',
      'R p/from/b -> p/to/b',
      'R p/from/a -> p/to/x',
      'R p/from/c -> p/to/y',
    ]);
  });

  it('the trees read follow the change, not the tree: one changed file among 4,000 in 400 folders', async () => {
    const work = await tempDir();
    const source = join(work, 'big');
    for (let d = 0; d < 20; d += 1) {
      for (let e = 0; e < 20; e += 1) {
        const dir = join(source, `d${d}`, `e${e}`);
        await mkdir(dir, { recursive: true });
        for (let f = 0; f < 10; f += 1) await writeFile(join(dir, `f${f}.txt`), `${d} ${e} ${f}\n`);
      }
    }
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const first = await backup(repo, { source: createLocalSource(), paths: [source] });
    await writeFile(join(source, 'd7', 'e3', 'f5.txt'), 'changed\n');
    const second = await backup(repo, { source: createLocalSource(), paths: [source] });
    const { repo: counted, loads } = counting(repo);
    const result = await diffSnapshots(counted, { ref: first.id }, { ref: second.id });
    expect(lines(result)).toEqual(['M big/d7/e3/f5.txt']);
    // root, big, d7, e3 on each side.
    expect(loads()).toBe(8);
    expect(result.summary.treesLoaded).toBe(8);
  });

  it('--vcs changes snapshots: files recorded by reference compare by their VCS id (a pushed edit is M, a pushed move is R, a file stored then pushed is unchanged)', async () => {
    const { wc } = await makeGitScenario();
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const selector = () => createProjectSelector({ roots: [wc], vcs: 'changes', policy: () => ({}) });
    // A commit not pushed yet: src/late.js is stored in the first snapshot, recorded by reference in the second.
    await writeFile(join(wc, 'src', 'late.js'), 'export const late = true;\n');
    git(wc, 'add', 'src/late.js');
    git(wc, 'commit', '-q', '-m', 'late', '--', 'src/late.js');
    const first = await backup(repo, { source: createLocalSource(), paths: [wc], selector: selector() });
    git(wc, 'stash', 'push', '-q', '--include-untracked', '-m', 'park');
    await writeFile(join(wc, 'package.json'), '{ "name": "demo", "version": "2.0.0" }\n');
    git(wc, 'mv', 'assets/logo.svg', 'assets/mark.svg');
    git(wc, 'commit', '-q', '-am', 'second');
    git(wc, 'push', '-q');
    git(wc, 'stash', 'pop', '-q');
    const second = await backup(repo, { source: createLocalSource(), paths: [wc], selector: selector() });
    const result = await diffSnapshots(repo, { ref: first.id }, { ref: second.id });
    const byPath = new Map(result.changes.map((c) => [c.path, c]));
    expect(byPath.get('wc/package.json')?.kind).toBe('modified');
    expect(byPath.get('wc/package.json')?.after?.ref).toBeDefined();
    expect(byPath.get('wc/assets/mark.svg')).toMatchObject({ kind: 'renamed', oldPath: 'wc/assets/logo.svg' });
    expect(byPath.get('wc/assets/mark.svg')?.after?.ref).toBeDefined();
    expect(byPath.has('wc/README.md')).toBe(false);
    expect(first.snapshot.vcs).toBeDefined();
    expect(byPath.has('wc/src/late.js')).toBe(false);
    expect(await diffContent(repo, byPath.get('wc/package.json') as DiffChange)).toEqual({ kind: 'reference' });
  });
});
