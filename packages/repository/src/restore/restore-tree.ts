import type { Id } from '@cairn/core';
import { writeByPosition } from './file-writer.js';
import type { RestoreContext } from './restore-context.js';
import { planRestore } from './restore-plan.js';
import type { RestorePlan, WorkingCopies } from './restore-plan.js';
import type { RestoreResult } from './restore-types.js';
import { writeByStreaming } from './stream-writer.js';

/** A result with nothing restored yet. */
export function emptyRestoreResult(snapshotId: string): RestoreResult {
  return { snapshotId, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, checkedOut: 0, bytesWritten: 0, problems: [], notRestored: [] };
}

/**
 * Walks a tree into the context's target (folders, symlinks, the overwrite policy) and writes
 * its files: by position when the target has createFile, else streaming. Folder metadata is the
 * caller's, once everything inside is done; the plan says which folders.
 */
export async function writeTree(ctx: RestoreContext, tree: Id, copies?: WorkingCopies): Promise<RestorePlan> {
  const plan = await planRestore(ctx, tree, copies);
  // The walk is done with the trees: their packs need not stay in memory while the files are written.
  ctx.repo.forgetTreePacks();
  if (plan.files.count > 0) {
    ctx.planned(plan.files.count, plan.files.bytes);
    if (ctx.target.createFile === undefined) await writeByStreaming(ctx, plan.files);
    else await writeByPosition(ctx, plan.files);
  }
  return plan;
}
