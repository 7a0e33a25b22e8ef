import { execFileSync } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
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

/** Uncommitted property edits on top of the scenario: set, changed and deleted properties, on the root, a clean file, an added file; one value is not text. */
export async function editProperties(base: string, wc: string): Promise<void> {
  svn(wc, 'propset', '-q', 'svn:keywords', 'Id', 'a.txt');
  svn(wc, 'commit', '-q', '-m', 'keywords', 'a.txt');
  svn(wc, 'propset', '-q', 'svn:ignore', '*.o\n*.tmp\n', '.');
  svn(wc, 'propdel', '-q', 'svn:keywords', 'a.txt');
  svn(wc, 'propset', '-q', 'review', 'line one\nline <two> & "three"', 'a.txt');
  svn(wc, 'propset', '-q', 'svn:eol-style', 'native', 'lib/b.txt');
  svn(wc, 'propset', '-q', 'owner', 'me', 'new.txt');
  await writeFile(join(base, 'binary-value'), Buffer.from([0, 1, 2, 255, 10]));
  svn(wc, 'propset', '-q', 'blob', '-F', join(base, 'binary-value'), 'lib/b.txt');
}

/** Every property of every item and the status, as svn prints them (the status sorted, so the order of the walk does not matter). */
export function svnPropFacts(dir: string): { props: string; blob: string; status: string } {
  return {
    props: svn(dir, 'proplist', '-v', '-R'),
    blob: execFileSync('svn', ['--non-interactive', 'propget', '--strict', 'blob', 'lib/b.txt'], { cwd: dir }).toString('hex'),
    status: svn(dir, 'status', '--no-ignore').split('\n').sort().join('\n'),
  };
}
