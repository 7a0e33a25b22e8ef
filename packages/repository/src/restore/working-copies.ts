import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CairnError, isCairnError, toHex } from '@cairn/core';
import { createLocalTarget } from '@cairn/transport';
import type { Id } from '@cairn/core';
import type { Snapshot, SnapshotWorkingCopy } from '@cairn/index';
import { finishWorkingCopy, restoreWorkingCopy } from '@cairn/vcs';
import type { VcsState } from '@cairn/vcs';
import { RestoreContext } from './restore-context.js';
import { emptyRestoreResult, writeTree } from './restore-tree.js';
import { createSelection } from './selection.js';

/** A working copy of the snapshot that the restore rebuilds (or could not). */
export interface CopyRestore {
  /** Its root in the snapshot, without the leading '/' ("app", "work/site"). */
  readonly path: string;
  readonly state: VcsState;
  /** Where it is rebuilt, or null when it is not (not selected whole, a target that is not a local folder). */
  dir: string | null;
  /** Why the files recorded by reference cannot be restored, when they cannot. */
  failure: string | null;
  /** Files recorded by reference met by the restore. */
  referenced: number;
}

/** The working copies a restore deals with, by snapshot path. */
export interface WorkingCopies {
  /** The innermost `changes`-mode working copy holding `path` (snapshot path without leading '/'). */
  copyOf(path: string): CopyRestore | undefined;
  /** After the stored files are written: schedules recorded additions and removals, deletes what was absent. */
  finish(): Promise<void>;
  /** Removes temporary folders. */
  close(): Promise<void>;
}

/**
 * First step of restoring a snapshot with working copies recorded in `changes` mode: for each one
 * selected whole, writes its extras (bundle, stash, config, hooks) to a temporary folder and
 * rebuilds it in the target from its remote (or reuses a clean clone there). A remote that cannot
 * be reached is a problem naming the working copy and the URL; the restore goes on and writes
 * everything stored.
 */
export async function prepareWorkingCopies(ctx: RestoreContext, snapshot: Snapshot): Promise<WorkingCopies> {
  const records = (snapshot.vcs ?? []).filter((record) => record.mode === 'changes');
  const copies: CopyRestore[] = [];
  const temporary: string[] = [];
  const selection = createSelection(ctx.options.include ?? []);
  const localRoot = ctx.options.localRoot;
  for (const record of records) {
    const path = record.path.replace(/^\/+/, '');
    const state = parseState(record, ctx);
    if (state === null) continue;
    const whole = ancestors(path).some((candidate) => selection.matches(candidate));
    const copy: CopyRestore = { path, state, dir: null, failure: null, referenced: 0 };
    copies.push(copy);
    if (!whole) {
      copy.failure = `restore the whole working copy (${record.path}) to rebuild it from its ${state.vcs} remote`;
      continue;
    }
    if (localRoot === undefined) {
      copy.failure = `the working copy ${record.path} is rebuilt from its ${state.vcs} remote only when restoring into a local folder (give the target's folder as localRoot)`;
      continue;
    }
    if (ctx.dryRun) continue;
    const dir = join(localRoot, ...path.split('/').filter(Boolean));
    try {
      const extras = record.extras === null ? undefined : await writeExtras(ctx, record, record.extras, temporary);
      const report = await restoreWorkingCopy(dir, state, {
        ...(extras === undefined ? {} : { extras }),
        ...(ctx.options.vcsRemotes === undefined ? {} : { rewrites: ctx.options.vcsRemotes }),
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
        if (copy.dir !== null) await finishWorkingCopy(copy.dir, copy.state, ctx.options.signal === undefined ? {} : { signal: ctx.options.signal });
        if (copy.failure !== null && copy.referenced > 0 && copy.dir === null) {
          ctx.problem(`/${copy.path}`, `${copy.referenced} file(s) recorded by reference to ${copy.state.vcs} were not restored: ${copy.failure}`);
        }
      }
    },
    async close() {
      await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/** The paths whose selection selects `path` whole: itself and its folders ("a/b": "a", "a/b"). */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function parseState(record: SnapshotWorkingCopy, ctx: RestoreContext): VcsState | null {
  try {
    const state = JSON.parse(record.state) as VcsState;
    if (typeof state === 'object' && state !== null && ['git', 'hg', 'svn'].includes(state.vcs)) return state;
  } catch {
    // reported below
  }
  ctx.problem(record.path, 'the working copy\'s recorded VCS state is not readable; its files recorded by reference cannot be restored');
  return null;
}

/**
 * Restores the extras tree (a bundle, config, hooks) into a new temporary folder, through the
 * restore's own reading and verifying; ERR_INTEGRITY naming the working copy when part of it
 * cannot be restored.
 */
async function writeExtras(ctx: RestoreContext, record: SnapshotWorkingCopy, tree: Id, temporary: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-extras-'));
  temporary.push(dir);
  const result = emptyRestoreResult(ctx.result.snapshotId);
  const options = { target: createLocalTarget(dir), ...(ctx.options.signal === undefined ? {} : { signal: ctx.options.signal }) };
  await writeTree(new RestoreContext(ctx.repo, options, result), tree);
  const problem = result.problems[0];
  if (problem !== undefined) {
    throw new CairnError('ERR_INTEGRITY', `the saved VCS data of the working copy ${record.path} (extras tree ${toHex(tree)}) cannot be restored: ${problem.message}`, {
      hint: 'its stored files are restored; run `cairn check --read-data` to see the damage',
    });
  }
  return dir;
}
