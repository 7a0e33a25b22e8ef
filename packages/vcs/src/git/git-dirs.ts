import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { CairnError, isCairnError } from '@cairn/core';
import { runTool, stderrOf } from '../run.js';
import type { RunOptions, RunResult } from '../run.js';
import type { WorkingCopy } from '../types.js';

/** Fixed author and committer for the commits cairn makes (the index, an operation's objects): the same content gives the same commit. */
export const FIXED_IDENT: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: 'cairn', GIT_AUTHOR_EMAIL: 'cairn@localhost', GIT_AUTHOR_DATE: '@0 +0000',
  GIT_COMMITTER_NAME: 'cairn', GIT_COMMITTER_EMAIL: 'cairn@localhost', GIT_COMMITTER_DATE: '@0 +0000',
};

/** The git dir shared by all worktrees of a repository (holds config, hooks, objects, refs). */
export async function gitCommonDir(copy: WorkingCopy): Promise<string> {
  const text = await readFile(resolve(copy.metaDir, 'commondir'), 'utf8').catch(() => null);
  if (text === null) return copy.metaDir;
  const common = text.trim();
  return isAbsolute(common) ? common : resolve(copy.metaDir, common);
}

/** Runs git in `cwd`; "not a git repository" becomes ERR_NOT_REPOSITORY naming the folder. */
export async function git(cwd: string, args: readonly string[], options: Omit<RunOptions, 'cwd'> = {}): Promise<RunResult> {
  try {
    return await runTool('git', args, { ...options, cwd });
  } catch (error) {
    if (isCairnError(error, 'ERR_IO') && /not a git repository/i.test(stderrOf(error))) {
      throw new CairnError('ERR_NOT_REPOSITORY', `${cwd} is not a git working copy`, { cause: error });
    }
    if (isCairnError(error, 'ERR_IO') && /dubious ownership/i.test(stderrOf(error))) {
      throw new CairnError('ERR_PERMISSION', `git refuses to read ${cwd}: the repository belongs to another user`, {
        hint: `If you trust it, add it to git's safe.directory list (git config --global --add safe.directory ${cwd}).`,
        cause: error,
      });
    }
    throw error;
  }
}
