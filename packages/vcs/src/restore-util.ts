import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CairnError } from '@cairn/core';
import type { VcsRemote, VcsState } from './types.js';

/** `path` from a recorded state joined onto `root`, refusing anything that would leave it. */
export function insideRoot(root: string, path: string, state: VcsState): string {
  if (path === '' || path.startsWith('/') || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new CairnError('ERR_FORMAT', `the recorded state of ${state.root} names the path "${path}", which is not inside the working copy`);
  }
  return join(resolve(root), ...path.split('/'));
}

/** Deletes the recorded missing paths (tracked files absent from the working tree) after a checkout brought them back. */
export async function removeMissing(root: string, state: VcsState): Promise<void> {
  for (const path of state.changes.missing) await rm(insideRoot(root, path, state), { force: true, recursive: true });
}

/** The remote a restore fetches from: the upstream's, else origin/default, else the first; `url` overrides its address. */
export function mainRemote(state: VcsState, url: string | undefined): VcsRemote | null {
  const byUpstream = state.upstream === null
    ? []
    : state.remotes.filter((remote) => state.upstream === remote.name || state.upstream?.startsWith(`${remote.name}/`) === true);
  const chosen = byUpstream.sort((a, b) => b.name.length - a.name.length)[0]
    ?? state.remotes.find((remote) => remote.name === 'origin' || remote.name === 'default')
    ?? state.remotes[0];
  if (url !== undefined) return { name: chosen?.name ?? (state.vcs === 'hg' ? 'default' : 'origin'), url };
  return chosen ?? null;
}
