import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CairnError } from '@cairn/core';
import { workingCopyAt } from './detect.js';
import { exists } from './fs-util.js';
import { vcsName } from './remote-error.js';
import type { RestoreRemote } from './restore-util.js';
import { firstLines, stderrOf } from './run.js';
import type { RestoreWorkingCopyOptions, VcsKind, VcsState } from './types.js';

// The steps every working-copy restore (git/, hg/, svn/) shares; each VCS supplies what differs.

/** What one VCS supplies to restoreInto. */
export interface RestoreSteps<T> {
  readonly vcs: VcsKind;
  /** True when the working copy in `dir` has uncommitted changes (it is then reused only with force). */
  dirty(dir: string, signal: AbortSignal | undefined): Promise<boolean>;
  /** Makes an empty repository in `dir` when there is none to reuse (git init, hg init); svn has none: its checkout makes it. */
  readonly init?: (dir: string, signal: AbortSignal | undefined) => Promise<void>;
  /** Fetches and puts the recorded state in place; `reused` when a working copy was there already. */
  build(dir: string, reused: boolean): Promise<T>;
}

/**
 * The shape of every working-copy restore: makes `target`, reuses a working copy of the same VCS
 * found there (refused when it belongs to another VCS or, without `force`, has uncommitted
 * changes), else initialises one, then builds. When a build into a fresh folder fails, the VCS's
 * metadata folder (.git, .hg, .svn) goes again: `target` is left a plain folder for the stored files.
 */
export async function restoreInto<T>(target: string, state: VcsState, options: RestoreWorkingCopyOptions, steps: RestoreSteps<T>): Promise<T> {
  const dir = resolve(target);
  const signal = options.signal;
  await mkdir(dir, { recursive: true });
  const existing = await workingCopyAt(dir);
  const cannot = `cannot restore the ${vcsName(steps.vcs)} working copy ${state.root} into ${dir}`;
  if (existing !== null && existing.vcs !== steps.vcs) throw new CairnError('ERR_EXISTS', `${cannot}: a ${existing.vcs} working copy is there`);
  if (existing !== null && options.force !== true && (await steps.dirty(dir, signal))) {
    throw new CairnError('ERR_EXISTS', `${cannot}: the working copy there has uncommitted changes`, {
      hint: 'Commit or move those changes first, or restore with force to overwrite them.',
    });
  }
  const reused = existing !== null;
  if (!reused) await steps.init?.(dir, signal);
  try {
    return await steps.build(dir, reused);
  } catch (error) {
    if (!reused) await rm(join(dir, `.${steps.vcs}`), { recursive: true, force: true });
    throw error;
  }
}

/**
 * Applies the bundle of local commits the extras hold (`name` in `extras`), if any, with `apply`
 * (given its absolute path). When it cannot be applied, an unreachable remote's error wins (the
 * rebuild needed both), else ERR_INTEGRITY names the bundle.
 */
export async function applyBundle(
  extras: string | undefined,
  name: string,
  state: VcsState,
  unreachable: CairnError | null,
  apply: (path: string) => Promise<unknown>,
): Promise<void> {
  const bundle = extras === undefined ? null : join(extras, name);
  if (bundle === null || !(await exists(bundle))) return;
  try {
    await apply(resolve(bundle));
  } catch (error) {
    if (unreachable !== null) throw unreachable;
    throw new CairnError('ERR_INTEGRITY', `cannot restore the ${vcsName(state.vcs)} working copy ${state.root}: its bundle ${bundle} cannot be applied (${firstLines(stderrOf(error), 2)})`, { cause: error });
  }
}

/**
 * After the fetch and the bundle: refuses a rebuild whose recorded head (`what`: "HEAD", "parent")
 * is `missing` (false when the state records none), with the remote's error when it could not be reached, else ERR_NOT_FOUND; when the
 * bundle alone was enough, adds a warning saying the remote could not be reached.
 */
export function requireHead(
  missing: boolean,
  what: string,
  state: VcsState,
  remote: RestoreRemote | null,
  unreachable: CairnError | null,
  warnings: string[],
): void {
  if (missing) {
    if (unreachable !== null) throw unreachable;
    throw new CairnError('ERR_NOT_FOUND', `cannot restore the ${vcsName(state.vcs)} working copy ${state.root}: its ${what} ${state.head} is neither on the remote ${remote?.url ?? '(none recorded)'} nor in the bundle`);
  }
  if (unreachable !== null) warnings.push(`${unreachable.message}; the repository was rebuilt from the bundle alone`);
}
