import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Copies the folder `source` to `dest` (which must not exist) with `cp -a`: times, modes and
 * symlinks as they are. Node's fs.promises.cp hung here once midway through /usr/share (the
 * third copy of a bench run, no error and no progress, its folders still open), so the corpus is
 * copied by the system's cp.
 */
export async function copyTree(source: string, dest: string): Promise<void> {
  try {
    await run('cp', ['-a', '--', source, dest], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(`cannot copy ${source} to ${dest}: ${typeof stderr === 'string' && stderr !== '' ? stderr.trim() : String(error)}`, { cause: error });
  }
}
