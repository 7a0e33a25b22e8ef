/**
 * Whether changed paths touch a file a git working copy tracks: watch mode counts such a change
 * as significant below its file and byte thresholds (an edit to tracked source matters; a scratch
 * file does not).
 */
import { execFile } from 'node:child_process';
import { basename, dirname } from 'node:path';

/** True when one of `paths` is tracked by the git working copy holding it (`git ls-files` per folder, the first 50 folders). */
export async function touchesTrackedFile(paths: readonly string[]): Promise<boolean> {
  const byDir = new Map<string, string[]>();
  for (const path of paths) byDir.set(dirname(path), [...(byDir.get(dirname(path)) ?? []), basename(path)]);
  for (const [dir, names] of [...byDir].slice(0, 50)) {
    // Outside a working copy, or in a folder that is gone, git fails: nothing tracked there.
    const listed = await new Promise<string>((resolve) => {
      execFile('git', ['-C', dir, 'ls-files', '-z', '--', ...names.slice(0, 500).map((name) => `:(literal)${name}`)], { maxBuffer: 16 << 20 }, (error, stdout) => resolve(error === null ? stdout : ''));
    });
    if (listed !== '') return true;
  }
  return false;
}
