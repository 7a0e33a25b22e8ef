/** Where a restore on this machine writes: what `cairn restore` and the web UI's restore job give the engine's restore(). */
import { resolve } from 'node:path';
import type { OverwritePolicy, RestoreOptions } from '@cairn/repository';
import { createLocalTarget } from '@cairn/transport';
import { createWorkingCopyRebuilder } from '@cairn/vcs';
import type { RemoteRewrite } from '@cairn/vcs';

/** What a restore may do with files already in the target: replace them, keep them, or replace those whose size or mtime differ. */
export const OVERWRITE_POLICIES: readonly OverwritePolicy[] = ['always', 'never', 'if-changed'];

/** The target, local root and working-copy rebuilder of a restore into `folder` (working copies recorded by reference are cloned from their remotes, moved ones per `rewrites`). */
export function localRestoreTarget(folder: string, rewrites: readonly RemoteRewrite[] = []): Pick<RestoreOptions, 'target' | 'localRoot' | 'workingCopies'> {
  return {
    target: createLocalTarget(folder),
    localRoot: resolve(folder),
    workingCopies: createWorkingCopyRebuilder({ localTarget: createLocalTarget, ...(rewrites.length === 0 ? {} : { rewrites: [...rewrites] }) }),
  };
}
