/** How `cairn check` and the web UI's check job run the engine's check: under a lease, so no prune deletes meanwhile. */
import { isCairnError } from '@cairn/core';
import { check } from '@cairn/repository';
import type { CheckOptions, CheckResult, Repository } from '@cairn/repository';
import { withLease } from '@cairn/repository/locks';

/** Runs check() under a lease; a repository this user cannot write to is checked without one, `note` saying so. */
export async function checkUnderLease(repo: Repository, options: CheckOptions & { readonly signal: AbortSignal }, note: (text: string) => void): Promise<CheckResult> {
  const run = (): Promise<CheckResult> => check(repo, options);
  try {
    return await withLease(repo, { purpose: 'check', signal: options.signal }, run);
  } catch (error) {
    if (!isCairnError(error, 'ERR_PERMISSION')) throw error;
    note(`cannot write a lease into ${repo.backend.location} (${error.message}); checking without one`);
    return run();
  }
}
