import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { sh, tempDir, writeFiles } from './helpers.js';

/** svn without prompts. */
export const svn = (cwd: string, ...args: string[]): string => sh(cwd, 'svn', '--non-interactive', ...args);

/** A checkout of a `svnadmin create` repository (file:// URL), mixed revisions, local changes. */
export async function makeSvnScenario() {
  const base = await tempDir();
  const repo = join(base, 'repo');
  const url = `file://${repo}`;
  const wc = join(base, 'wc');
  sh(base, 'svnadmin', 'create', repo);
  svn(base, 'checkout', '-q', url, wc);
  await writeFiles(wc, { 'a.txt': 'a\n', 'lib/b.txt': 'b\n', 'old.txt': 'old\n', 'lost.txt': 'lost\n' });
  svn(wc, 'add', '-q', 'a.txt', 'lib', 'old.txt', 'lost.txt');
  svn(wc, 'commit', '-q', '-m', 'first');
  await writeFiles(wc, { 'lib/b.txt': 'b, second version\n' });
  svn(wc, 'commit', '-q', '-m', 'second');
  // Now lib/b.txt is at r2, the rest at r0/r1: a mixed-revision working copy, as after any commit.
  await writeFiles(wc, { 'a.txt': 'a changed\n', 'new.txt': 'added\n', 'untracked.txt': 'mine\n', 'build.o': 'ignored by svn\n', 'tmp/x.txt': 'in an unversioned folder\n' });
  svn(wc, 'add', '-q', 'new.txt');
  svn(wc, 'delete', '-q', 'old.txt');
  await rename(join(wc, 'lost.txt'), join(base, 'lost.txt'));
  return { base, repo, url, wc };
}
