import { CairnError, shortId } from '@cairn/core';
import { withReadLease } from '../locks/lease.js';
import { RestoreContext } from './restore-context.js';
import type { PlannedFolder, RestorePlan } from './restore-plan.js';
import { emptyRestoreResult, writeTree } from './restore-tree.js';
import { prepareWorkingCopies } from './working-copies.js';
import type { Repository } from '../repo/repository.js';
import type { RestoreOptions, RestoreResult } from './restore-types.js';
import { findSnapshot } from '../repo/snapshots.js';
import { createTaskPool } from './task-pool.js';

export type { OverwritePolicy, RestoreAction, RestoreOptions, RestoreProblem, RestoreProgress, RestoreResult } from './restore-types.js';

/**
 * Restores a snapshot (or the parts `include` selects) into a target. It walks the selected
 * trees first (folders, symlinks, the overwrite policy), then writes the files: by position
 * when the target has createFile, reading each pack range once and writing several files at
 * once; otherwise streaming one file at a time to writeFile. Every blob is verified; a file
 * whose data is damaged is not written (the rest is) and is named in `problems`. Folder
 * metadata is set last, once everything inside is written.
 */
export async function restore(repo: Repository, snapshotRef: string, options: RestoreOptions): Promise<RestoreResult> {
  // The lease keeps a prune from deleting a pack this restore is about to read.
  return withReadLease(repo, { purpose: 'restore', ...(options.signal === undefined ? {} : { signal: options.signal }) }, () => runRestore(repo, snapshotRef, options));
}

async function runRestore(repo: Repository, snapshotRef: string, options: RestoreOptions): Promise<RestoreResult> {
  const { id, snapshot } = await findSnapshot(repo, snapshotRef);
  const result = emptyRestoreResult(id);
  const ctx = new RestoreContext(repo, options, result);
  const copies = await prepareWorkingCopies(ctx, snapshot);
  try {
    const plan = await writeTree(ctx, snapshot.tree, copies);
    if (!ctx.dryRun) await copies.finish();
    await setFolderMetadata(ctx, plan.folders);
    reportUnmatched(ctx, plan, id);
  } finally {
    await copies.close();
  }
  await refuseIfUnchanged(ctx);
  return result;
}

/**
 * A restore that the target refused from the start and that wrote nothing is an error (exit 1:
 * nothing changed), not a partial restore: the empty folders it made are removed again, and the
 * error names the first refusal and how many there were.
 */
async function refuseIfUnchanged(ctx: RestoreContext): Promise<void> {
  const refusals = ctx.targetErrors + (ctx.full === undefined ? 0 : 1);
  const first = ctx.result.problems[0];
  if (ctx.dryRun || ctx.changed || refusals === 0 || first === undefined) return;
  for (const parts of [...ctx.madeFolders].reverse()) await ctx.target.remove(parts).catch(() => undefined);
  throw new CairnError(ctx.full?.code ?? 'ERR_IO', `nothing was restored into ${ctx.target.location}: ${first.message}${ctx.result.problems.length > 1 ? ` (and ${ctx.result.problems.length - 1} more)` : ''}`, {
    hint: 'the target is as it was; fix what is named and run the restore again',
  });
}

function reportUnmatched(ctx: RestoreContext, plan: RestorePlan, id: string): void {
  const { result } = ctx;
  const unmatched = plan.selection.unmatched();
  if (unmatched.length > 0 && result.files + result.dirs + result.symlinks + result.skipped === 0) {
    throw new CairnError('ERR_NOT_FOUND', `nothing in snapshot ${shortId(id)} matches ${unmatched.map((p) => JSON.stringify(p)).join(', ')}`, {
      hint: `list the snapshot with \`cairn ls ${shortId(id)}\``,
    });
  }
  for (const pattern of unmatched) ctx.problem(pattern, 'nothing in the snapshot matches this path');
}

/**
 * Sets the metadata of the folders, deepest first: all folders of one depth at once, so
 * that a folder is done only after everything below it (a folder without search permission
 * would otherwise hide its entries).
 */
async function setFolderMetadata(ctx: RestoreContext, folders: readonly PlannedFolder[]): Promise<void> {
  const pool = createTaskPool(16);
  const depths = [...new Set(folders.map((folder) => folder.parts.length))].sort((a, b) => b - a);
  for (const depth of depths) {
    const settled = await Promise.allSettled(
      folders.filter((folder) => folder.parts.length === depth).map((folder) => pool.run(() => ctx.setEntryMetadata(folder.parts, 'dir', folder.metadata, folder.xattrs))),
    );
    // A folder whose metadata cannot be set is named; the rest goes on (a bug or an abort still ends the restore).
    settled.forEach((outcome, i) => {
      if (outcome.status === 'rejected') ctx.entryFailed(folders.filter((folder) => folder.parts.length === depth)[i]!.parts.join('/'), outcome.reason);
    });
  }
}
