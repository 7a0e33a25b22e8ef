import { rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { CairnError } from '@cairn/core';
import type { RestoreWorkingCopyOptions, VcsRemote, VcsState } from './types.js';
import { rewriteUrl } from './url.js';

/** `path` from a recorded state joined onto `root`, refusing anything that would leave it. */
export function insideRoot(root: string, path: string, state: VcsState): string {
  if (path === '' || path.startsWith('/') || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new CairnError('ERR_FORMAT', `the recorded state of ${state.root} names the path "${path}", which is not inside the working copy`);
  }
  return join(resolve(root), ...path.split('/'));
}

/**
 * Deletes the recorded missing paths (tracked files absent from the working tree) after a checkout
 * brought them back. `emptied: true` (git, hg: VCSs that keep no folders) also removes the folders
 * that the deletions left empty, up to the root, as `git rm` and `hg rm` did; run it before the
 * stored files are laid down, so that an empty folder the snapshot holds is written back after it.
 */
export async function removeMissing(root: string, state: VcsState, options: { emptied?: boolean } = {}): Promise<void> {
  const top = resolve(root);
  const paths = state.changes.missing.map((path) => insideRoot(top, path, state));
  for (const full of paths) {
    await rm(full, { force: true, recursive: true });
    if (options.emptied !== true) continue;
    for (let dir = dirname(full); dir !== top && dir.startsWith(`${top}${sep}`); dir = dirname(dir)) {
      // rmdir refuses a folder that still holds something: the walk up stops there.
      if (!(await rmdir(dir).then(() => true, () => false))) break;
    }
  }
}

/** A recorded remote as a restore uses it: its URL rewritten, the recorded one kept for messages. */
export interface RestoreRemote extends VcsRemote {
  readonly recorded: string;
}

/**
 * The remote a restore fetches from: the upstream's, else origin/default, else the first;
 * `options.remoteUrl` overrides its address, else `options.rewrites` apply.
 */
export function mainRemote(state: VcsState, options: RestoreWorkingCopyOptions): RestoreRemote | null {
  const chosen = recordedMain(state);
  const url = options.remoteUrl;
  if (url !== undefined) return { name: chosen?.name ?? (state.vcs === 'hg' ? 'default' : 'origin'), url, recorded: chosen?.url ?? url };
  return chosen === null ? null : { ...chosen, url: rewriteUrl(chosen.url, options.rewrites), recorded: chosen.url };
}

function recordedMain(state: VcsState): VcsRemote | null {
  const byUpstream = state.upstream === null
    ? []
    : state.remotes.filter((remote) => state.upstream === remote.name || state.upstream?.startsWith(`${remote.name}/`) === true);
  const chosen = byUpstream.sort((a, b) => b.name.length - a.name.length)[0]
    ?? state.remotes.find((remote) => remote.name === 'origin' || remote.name === 'default')
    ?? state.remotes[0];
  return chosen ?? null;
}
