import { CairnError, isCairnError } from '@cairn/core';
import { runTool, stderrOf } from '../run.js';
import type { RunOptions, RunResult } from '../run.js';

/** Runs svn (non-interactive) in `cwd`; "not a working copy" becomes ERR_NOT_REPOSITORY. */
export async function svn(cwd: string, args: readonly string[], options: Omit<RunOptions, 'cwd'> = {}): Promise<RunResult> {
  try {
    return await runTool('svn', args, { ...options, cwd });
  } catch (error) {
    if (isCairnError(error, 'ERR_IO') && /E155007|is not a working copy/i.test(stderrOf(error))) {
      throw new CairnError('ERR_NOT_REPOSITORY', `${cwd} is not a Subversion working copy`, { cause: error });
    }
    throw error;
  }
}
