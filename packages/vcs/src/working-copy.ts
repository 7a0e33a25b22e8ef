import { CairnError } from '@cairn/core';
import { gitExtrasFingerprint, saveGitExtras } from './git/git-extras.js';
import { finishGit, restoreGit } from './git/git-restore.js';
import { readGitStatus } from './git/git-state.js';
import { saveHgExtras } from './hg/hg-extras.js';
import { finishHg, restoreHg } from './hg/hg-restore.js';
import { readHgStatus } from './hg/hg-state.js';
import { finishSvn, restoreSvn } from './svn/svn-restore.js';
import { readSvnStatus } from './svn/svn-state.js';
import type { ExtrasManifest, RestoreReport, RestoreWorkingCopyOptions, VcsState, VcsStatus, WorkingCopy } from './types.js';

function checkVcs(vcs: unknown, what: string): asserts vcs is 'git' | 'hg' | 'svn' {
  if (vcs !== 'git' && vcs !== 'hg' && vcs !== 'svn') throw new RangeError(`${what}: unknown VCS ${JSON.stringify(vcs)} (expected git, hg or svn)`);
}

/**
 * Reads a working copy's state and per-file status through its VCS's own CLI (git, hg with
 * HGPLAIN, svn --xml). Read-only: git runs without optional locks, so the index is not refreshed.
 * `references: false` (for a backup that stores every file) skips the work that only
 * `reference()` needs: with an unpushed git HEAD, finding which clean files the pushed commit
 * it starts from holds; `reference()` then answers null for them.
 */
export function readWorkingCopy(copy: WorkingCopy, options: { signal?: AbortSignal; references?: boolean } = {}): Promise<VcsStatus> {
  checkVcs(copy?.vcs, 'readWorkingCopy');
  if (copy.vcs === 'git') return readGitStatus(copy, options.signal, options.references !== false);
  if (copy.vcs === 'hg') return readHgStatus(copy, options.signal);
  return readSvnStatus(copy, options.signal);
}

/**
 * Writes into `outDir` what the remote cannot give back besides the working files: git: a bundle
 * of local-only commits, stashes and the index, config, hooks, info/exclude; hg: a bundle of the
 * draft changesets, hgrc, shelves; svn: nothing (every revision is on the server).
 */
export async function saveExtras(status: VcsStatus, outDir: string, options: { signal?: AbortSignal } = {}): Promise<ExtrasManifest> {
  checkVcs(status?.state?.vcs, 'saveExtras');
  if (typeof outDir !== 'string' || outDir === '') throw new TypeError(`saveExtras: outDir must be a folder path, got ${JSON.stringify(outDir)}`);
  if (status.state.vcs === 'git') return saveGitExtras(status, outDir, options.signal);
  if (status.state.vcs === 'hg') return saveHgExtras(status, outDir, options.signal);
  return { files: [], bundled: [], warnings: [] };
}

/**
 * A fingerprint of what saveExtras would write for `status` (git: the state and the stat of config,
 * hooks, info/exclude and the index), or null when there is none to rely on (hg, svn): equal
 * fingerprints mean equal extras, so a backup can keep the previous snapshot's.
 */
export function extrasFingerprint(status: VcsStatus): Promise<string | null> {
  checkVcs(status?.state?.vcs, 'extrasFingerprint');
  return status.state.vcs === 'git' ? gitExtrasFingerprint(status) : Promise.resolve(null);
}

/**
 * First step of restoring a working copy into `target`: clone or fetch from the recorded remote at
 * the recorded commit (or reuse a clean working copy already there), apply the extras (bundle,
 * stash, config…), check out, and (git, hg) delete the tracked files that were absent with the
 * folders that left empty. Then lay the stored files into `target` and call
 * finishWorkingCopy. When the remote cannot be reached, a CairnError names the working copy and
 * the URL, and `target` is left as a plain folder for the stored files.
 */
export function restoreWorkingCopy(target: string, state: VcsState, options: RestoreWorkingCopyOptions = {}): Promise<RestoreReport> {
  checkVcs(state?.vcs, 'restoreWorkingCopy');
  if (typeof target !== 'string' || target === '') throw new TypeError(`restoreWorkingCopy: target must be a folder path, got ${JSON.stringify(target)}`);
  if (options.signal?.aborted === true) return Promise.reject(new CairnError('ERR_ABORTED', `restore of ${state.root} was aborted before it started`));
  if (state.vcs === 'git') return restoreGit(target, state, options);
  if (state.vcs === 'hg') return restoreHg(target, state, options);
  return restoreSvn(target, state, options);
}

/**
 * Last step of restoring a working copy, after the stored files are in `target`: schedules
 * recorded additions and removals (svn: deletes files that were absent, puts property edits
 * back), refreshes the VCS's view.
 */
export function finishWorkingCopy(target: string, state: VcsState, options: { signal?: AbortSignal } = {}): Promise<void> {
  checkVcs(state?.vcs, 'finishWorkingCopy');
  if (state.vcs === 'git') return finishGit(target, state, options.signal);
  if (state.vcs === 'hg') return finishHg(target, state, options.signal);
  return finishSvn(target, state, options.signal);
}
