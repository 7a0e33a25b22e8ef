import { join } from 'node:path';
import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { ExtrasFolder, Id, RecordedWorkingCopy, WorkingCopyRebuilder } from '@cairn/core';
import type { Snapshot, SnapshotWorkingCopy } from '@cairn/index';
import { RestoreContext } from './restore-context.js';
import type { CopyRestore, WorkingCopies } from './restore-plan.js';
import { emptyRestoreResult, writeTree } from './restore-tree.js';
import { createSelection } from '../tree/path-selection.js';

/** A working copy of the snapshot that the restore rebuilds (or could not). */
interface CopyRebuild extends CopyRestore {
  /** Its root in the snapshot, without the leading '/' ("app", "work/site"). */
  readonly path: string;
  /** Its VCS, for messages. */
  readonly vcs: string;
  /** What rebuilds it, or null without a rebuilder. */
  readonly recorded: RecordedWorkingCopy | null;
  /** Where it is rebuilt, or null when it is not (not selected whole, a target that is not a local folder). */
  dir: string | null;
  failure: string | null;
}

/** The working copies a restore deals with, and what it does with them once the stored files are written. */
export interface PreparedWorkingCopies extends WorkingCopies {
  /** After the stored files are written: schedules recorded additions and removals, deletes what was absent. */
  finish(): Promise<void>;
  /** Removes temporary folders. */
  close(): Promise<void>;
}

/**
 * First step of restoring a snapshot with working copies recorded in `changes` mode: for each one
 * selected whole, writes its extras (bundle, stash, config, hooks) to a temporary folder and has
 * the options' rebuilder rebuild it in the target from its remote (or reuse a clean clone there).
 * A remote that cannot be reached is a problem naming the working copy and the URL; the restore
 * goes on and writes everything stored. Without a rebuilder or a local folder, the working copies'
 * files recorded by reference are problems naming them.
 */
export async function prepareWorkingCopies(ctx: RestoreContext, snapshot: Snapshot): Promise<PreparedWorkingCopies> {
  const records = (snapshot.vcs ?? []).filter((record) => record.mode === 'changes');
  const copies: CopyRebuild[] = [];
  const temporary: ExtrasFolder[] = [];
  const selection = createSelection(ctx.options.include ?? []);
  const { localRoot, workingCopies: rebuilder } = ctx.options;
  for (const record of records) {
    const path = record.path.replace(/^\/+/, '');
    const recorded = readRecord(record, rebuilder, ctx);
    if (recorded === null) continue;
    const whole = ancestors(path).some((candidate) => selection.matches(candidate));
    const copy: CopyRebuild = { path, ...recorded, dir: null, failure: null, referenced: 0 };
    copies.push(copy);
    if (!whole) {
      copy.failure = `restore the whole working copy (${record.path}) to rebuild it from its ${copy.vcs} remote`;
      continue;
    }
    if (localRoot === undefined) {
      copy.failure = `the working copy ${record.path} is rebuilt from its ${copy.vcs} remote only when restoring into a local folder (give the target's folder as localRoot)`;
      continue;
    }
    if (rebuilder === undefined || copy.recorded === null) {
      copy.failure = `the working copy ${record.path} is rebuilt from its ${copy.vcs} remote only by a restore given a working-copy rebuilder (the workingCopies option)`;
      continue;
    }
    if (ctx.dryRun) continue;
    const dir = join(localRoot, ...path.split('/').filter(Boolean));
    try {
      const extras = record.extras === null ? undefined : await writeExtras(ctx, rebuilder, record, record.extras, temporary);
      const report = await copy.recorded.rebuild(dir, {
        ...(extras === undefined ? {} : { extras }),
        ...(ctx.options.signal === undefined ? {} : { signal: ctx.options.signal }),
      });
      copy.dir = dir;
      ctx.changed = true;
      for (const warning of report.warnings) ctx.problem(record.path, warning);
    } catch (error) {
      if (!isCairnError(error) || error.code === 'ERR_ABORTED') throw error;
      copy.failure = error.hint === undefined ? error.message : `${error.message} (${error.hint})`;
      ctx.problem(record.path, copy.failure);
    }
  }
  copies.sort((a, b) => b.path.length - a.path.length);
  return {
    copyOf(path) {
      return copies.find((copy) => copy.path === '' || path.startsWith(`${copy.path}/`));
    },
    async finish() {
      for (const copy of copies) {
        if (copy.dir !== null && copy.recorded !== null) await copy.recorded.finish(copy.dir, ctx.options.signal === undefined ? {} : { signal: ctx.options.signal });
        if (copy.failure !== null && copy.referenced > 0 && copy.dir === null) {
          ctx.problem(`/${copy.path}`, `${copy.referenced} file(s) recorded by reference to ${copy.vcs} were not restored: ${copy.failure}`);
        }
      }
    },
    async close() {
      await Promise.all(temporary.splice(0).map((folder) => folder.remove()));
    },
  };
}

/** The paths whose selection selects `path` whole: itself and its folders ("a/b": "a", "a/b"). */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/**
 * The recorded working copy as the rebuilder reads it; without a rebuilder, only its VCS (the
 * state's `vcs` field), to name it. A state that cannot be read is a problem, and null.
 */
function readRecord(record: SnapshotWorkingCopy, rebuilder: WorkingCopyRebuilder | undefined, ctx: RestoreContext): { vcs: string; recorded: RecordedWorkingCopy | null } | null {
  const recorded = rebuilder === undefined ? null : rebuilder.read(record.state);
  const vcs = recorded?.vcs ?? (rebuilder === undefined ? recordedVcs(record.state) : null);
  if (vcs !== null) return { vcs, recorded };
  ctx.problem(record.path, 'the working copy\'s recorded VCS state is not readable; its files recorded by reference cannot be restored');
  return null;
}

/** The `vcs` field of a recorded state (JSON text), or null when it has none. */
function recordedVcs(state: string): string | null {
  try {
    const parsed: unknown = JSON.parse(state);
    if (typeof parsed === 'object' && parsed !== null && 'vcs' in parsed && typeof parsed.vcs === 'string' && parsed.vcs !== '') return parsed.vcs;
  } catch {
    // reported by the caller
  }
  return null;
}

/**
 * Restores the extras tree (a bundle, config, hooks) into a new temporary folder of the
 * rebuilder's, through the restore's own reading and verifying; ERR_INTEGRITY naming the working
 * copy when part of it cannot be restored.
 */
async function writeExtras(ctx: RestoreContext, rebuilder: WorkingCopyRebuilder, record: SnapshotWorkingCopy, tree: Id, temporary: ExtrasFolder[]): Promise<string> {
  const folder = await rebuilder.extrasFolder();
  temporary.push(folder);
  const result = emptyRestoreResult(ctx.result.snapshotId);
  const options = { target: folder.target, ...(ctx.options.signal === undefined ? {} : { signal: ctx.options.signal }) };
  await writeTree(new RestoreContext(ctx.repo, options, result), tree);
  const problem = result.problems[0];
  if (problem !== undefined) {
    throw new CairnError('ERR_INTEGRITY', `the saved VCS data of the working copy ${record.path} (extras tree ${toHex(tree)}) cannot be restored: ${problem.message}`, {
      hint: 'its stored files are restored; run `cairn check --read-data` to see the damage',
    });
  }
  return folder.dir;
}
