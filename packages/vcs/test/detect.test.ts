import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorkingCopy, workingCopyAt } from '@cairn/vcs';
import { enclosingWorkingCopy, findWorkingCopies, ownerOf, relativeToCopy } from '../src/detect.js';
import type { WorkingCopy } from '@cairn/vcs';
import { git, hg, rejection, sh, tempDir, writeFiles } from './helpers.js';

/** A tree holding one of each: repository, worktree, submodule, bare repository, hg and svn working copies. */
async function makeTree() {
  const root = await tempDir();
  const lib = join(root, 'lib-origin');
  git(root, 'init', '-q', lib);
  await writeFiles(lib, { 'lib.txt': 'lib\n' });
  git(lib, 'add', '-A');
  git(lib, 'commit', '-q', '-m', 'lib');

  const app = join(root, 'projects', 'app');
  git(root, 'init', '-q', app);
  await writeFiles(app, { 'app.txt': 'app\n' });
  git(app, 'add', '-A');
  git(app, 'commit', '-q', '-m', 'app');
  git(app, 'submodule', 'add', '-q', lib, 'vendor/lib');
  git(app, 'commit', '-q', '-m', 'with lib');
  git(app, 'worktree', 'add', '-q', join(root, 'projects', 'app-hotfix'));

  git(root, 'init', '-q', '--bare', join(root, 'backups', 'app.git'));
  hg(root, 'init', join(root, 'projects', 'tool'));
  sh(root, 'svnadmin', 'create', join(root, 'svnrepo'));
  sh(root, 'svn', 'checkout', '-q', `file://${join(root, 'svnrepo')}`, join(root, 'projects', 'docs'));
  await mkdir(join(root, 'projects', 'docs', 'sub'));
  // Inside a VCS folder nothing counts, whatever it looks like.
  await mkdir(join(app, '.git', 'fake', '.hg'), { recursive: true });
  await writeFile(join(root, 'projects', 'not-a-repo.txt'), '.git\n');
  return { root, app };
}

const summary = (copies: readonly WorkingCopy[], root: string) => copies.map((copy) => [relativeToCopy({ ...copy, root }, copy.root), copy.vcs, copy.kind]);

describe('finding working copies', () => {
  it('finds git repositories, worktrees and submodules, hg and svn working copies, not bare repositories', async () => {
    const { root, app } = await makeTree();
    const found = await findWorkingCopies(root);
    expect(summary(found, root)).toEqual([
      ['lib-origin', 'git', 'repository'],
      ['projects/app', 'git', 'repository'],
      ['projects/app-hotfix', 'git', 'worktree'],
      ['projects/app/vendor/lib', 'git', 'submodule'],
      ['projects/docs', 'svn', 'repository'],
      ['projects/tool', 'hg', 'repository'],
    ]);
    const submodule = found.find((copy) => copy.kind === 'submodule');
    expect(submodule?.metaDir).toBe(join(app, '.git', 'modules', 'vendor', 'lib'));
    // Every one of them can be read.
    for (const copy of found) expect((await readWorkingCopy(copy)).state.vcs).toBe(copy.vcs);
    const worktree = await readWorkingCopy(found[2] as WorkingCopy);
    expect(worktree.state.branch).toBe('app-hotfix');
  });

  it('skips folders on request and reports the working copy a subfolder lies in', async () => {
    const { root, app } = await makeTree();
    const skipped = await findWorkingCopies(root, { skip: (path) => path === 'projects' });
    expect(summary(skipped, root)).toEqual([['lib-origin', 'git', 'repository']]);
    const inside = await findWorkingCopies(join(app, 'vendor'));
    expect(summary(inside, root)).toEqual([['projects/app', 'git', 'repository'], ['projects/app/vendor/lib', 'git', 'submodule']]);
    expect(await findWorkingCopies(join(app, 'vendor'), { enclosing: false })).toHaveLength(1);
    expect((await enclosingWorkingCopy(join(root, 'projects', 'docs', 'sub')))?.vcs).toBe('svn');
    expect(await workingCopyAt(join(root, 'projects', 'docs', 'sub'))).toBeNull();
    expect(await workingCopyAt(join(root, 'backups', 'app.git'))).toBeNull();
  });

  it('tells which working copy owns a path: the innermost', async () => {
    const { root, app } = await makeTree();
    const found = await findWorkingCopies(root);
    expect(ownerOf(found, join(app, 'vendor', 'lib', 'lib.txt'))?.kind).toBe('submodule');
    expect(ownerOf(found, join(app, 'app.txt'))?.root).toBe(app);
    expect(ownerOf(found, join(app + '-other', 'x'))).toBeUndefined();
    expect(() => relativeToCopy(found[1] as WorkingCopy, root)).toThrow(RangeError);
  });

  it('rejects a missing root, a file as root, a folder that is not a working copy, an unknown VCS', async () => {
    const root = await tempDir();
    expect((await rejection(findWorkingCopies(join(root, 'missing')))).code).toBe('ERR_NOT_FOUND');
    await writeFile(join(root, 'file'), '');
    expect((await rejection(findWorkingCopies(join(root, 'file')))).code).toBe('ERR_NOT_FOUND');
    for (const vcs of ['git', 'hg', 'svn'] as const) {
      const error = await rejection(readWorkingCopy({ vcs, root, metaDir: join(root, '.x'), kind: 'repository' }));
      expect(error.code).toBe('ERR_NOT_REPOSITORY');
      expect(error.message).toContain(root);
    }
    expect(() => readWorkingCopy({ vcs: 'cvs' as 'git', root, metaDir: root, kind: 'repository' })).toThrow(RangeError);
  });
});
