import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { hg, tempDir, writeFiles } from './helpers.js';

/** A clone of a local Mercurial repository with pushed (public) and draft changesets and local changes. */
export async function makeHgScenario() {
  const base = await tempDir();
  const remote = join(base, 'remote');
  const wc = join(base, 'wc');
  hg(base, 'init', remote);
  hg(base, 'clone', '-q', remote, wc);
  await writeFiles(wc, { 'a.txt': 'a\n', 'lib/b.txt': 'b\n', 'gone.txt': 'soon removed\n', 'lost.txt': 'soon missing\n', '.hgignore': 'syntax: glob\n*.log\n' });
  hg(wc, 'add', '-q');
  hg(wc, 'commit', '-q', '-m', 'first');
  hg(wc, 'push', '-q');
  const pushed = hg(wc, 'log', '-r', '.', '-T', '{node}');
  hg(wc, 'bookmark', '-q', 'feature');
  await writeFiles(wc, { 'feature.txt': 'one\n' });
  hg(wc, 'add', '-q', 'feature.txt');
  hg(wc, 'commit', '-q', '-m', 'draft one');
  await writeFiles(wc, { 'feature.txt': 'two\n' });
  hg(wc, 'commit', '-q', '-m', 'draft two');
  hg(wc, 'update', '-q', '-r', pushed);
  await writeFiles(wc, { 'a.txt': 'a changed\n', 'new.txt': 'added\n', 'untracked.txt': 'mine\n', 'debug.log': 'noise\n' });
  hg(wc, 'add', '-q', 'new.txt');
  hg(wc, 'remove', '-q', 'gone.txt');
  await rename(join(wc, 'lost.txt'), join(base, 'lost.txt'));
  return { base, remote, wc, pushed };
}
