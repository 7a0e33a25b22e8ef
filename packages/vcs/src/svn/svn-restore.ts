import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CairnError, isCairnError } from '@cairn/core';
import { withTempDir } from '../fs-util.js';
import { remoteUnreachable } from '../remote-error.js';
import { restoreInto } from '../restore-steps.js';
import { insideRoot, mainRemote, removeMissing } from '../restore-util.js';
import type { RestoreReport, RestoreWorkingCopyOptions, VcsState } from '../types.js';
import { applyProperties, svnArg } from './svn-props.js';
import { svn } from './svn-run.js';

const CHUNK = 200;

const arg = svnArg;

/**
 * Rebuilds a Subversion working copy in `target`: checks out the recorded URL at the recorded
 * revision (an existing clean working copy is updated instead), then brings the items of a
 * mixed-revision working copy to their own revisions. When the server cannot be reached, throws
 * its CairnError and leaves `target` without a .svn.
 */
export async function restoreSvn(target: string, state: VcsState, options: RestoreWorkingCopyOptions = {}): Promise<RestoreReport> {
  const signal = options.signal;
  // The checkout (or the update of a working copy already there) is the build; the items of a
  // mixed-revision working copy are brought to their own revisions after it.
  const { dir, reused } = await restoreInto(target, state, options, {
    vcs: 'svn',
    dirty: async (dir, signal) => (await svn(dir, ['status', '-q'], { signal })).stdout.length > 0,
    build: async (dir, reused) => {
      const remote = mainRemote(state, options);
      if (remote === null || state.head === null) {
        throw new CairnError('ERR_FORMAT', `cannot restore the Subversion working copy ${state.root}: its state records no URL or revision`);
      }
      const revision = state.head;
      try {
        if (!reused) await svn(dir, ['checkout', '-q', '--force', '-r', revision, `${remote.url}@${revision}`, '.'], { signal });
        else await svn(dir, ['update', '-q', '--force', '-r', revision], { signal });
      } catch (error) {
        if (isCairnError(error, 'ERR_IO')) throw remoteUnreachable('svn', state.root, remote.url, error, remote.recorded);
        throw error;
      }
      return { dir, reused };
    },
  });
  const byRevision = new Map<number, string[]>();
  for (const { path, revision: own } of state.mixedRevisions ?? []) {
    if (path !== '') insideRoot(dir, path, state);
    byRevision.set(own, [...(byRevision.get(own) ?? []), path]);
  }
  for (const [own, paths] of byRevision) {
    for (let i = 0; i < paths.length; i += CHUNK) {
      await svn(dir, ['update', '-q', '-r', String(own), '--depth', 'empty', '--parents', ...paths.slice(i, i + CHUNK).map(arg)], { signal });
    }
  }
  return { fetched: true, reused, warnings: [] };
}

/** Completes a Subversion restore once the stored files are in place: schedules deletions and additions, deletes what was missing. */
export async function finishSvn(target: string, state: VcsState, signal?: AbortSignal): Promise<void> {
  const dir = resolve(target);
  await withTempDir('cairn-svn-targets-', async (tmp) => {
    const targets = async (name: string, paths: readonly string[]) => {
      for (const path of paths) insideRoot(dir, path, state);
      const file = join(tmp, name);
      await writeFile(file, paths.map((path) => `${arg(path)}\n`).join(''));
      return file;
    };
    if (state.changes.removed.length > 0) await svn(dir, ['delete', '-q', '--force', '--targets', await targets('removed', state.changes.removed)], { signal });
    await removeMissing(dir, state);
    if (state.changes.added.length > 0) await svn(dir, ['add', '-q', '--force', '--parents', '--depth', 'empty', '--targets', await targets('added', state.changes.added)], { signal });
    await applyProperties(dir, state, tmp, signal);
  });
}
