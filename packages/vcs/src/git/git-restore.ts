import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CairnError, isCairnError } from '@cairn/core';
import { enclosingWorkingCopy, workingCopyAt } from '../detect.js';
import { copyRegular, exists } from '../fs-util.js';
import { remoteUnreachable } from '../remote-error.js';
import { applyBundle, requireHead, restoreInto } from '../restore-steps.js';
import { insideRoot, mainRemote, removeMissing } from '../restore-util.js';
import type { RestoreRemote } from '../restore-util.js';
import { firstLines, splitLines, splitNul, stderrOf } from '../run.js';
import type { RestoreReport, RestoreWorkingCopyOptions, VcsState } from '../types.js';
import { rewriteUrl, stripCredentials } from '../url.js';
import { git, gitCommonDir } from './git-dirs.js';
import { GIT_BUNDLE } from './git-extras.js';
import { restoreOperation } from './git-operation.js';

/** Where the bundle's refs are fetched to before they are put in place. */
const RESTORE_NS = 'refs/cairn-restore/';
const LITERAL = { GIT_LITERAL_PATHSPECS: '1' };

/**
 * Rebuilds a git working copy in `target` from a recorded state: fetches the recorded remote
 * (every other remote too, best effort), applies the bundle, puts branches, tags, HEAD, the index
 * and the stash back, restores config, hooks and info/exclude, and checks out HEAD. An existing
 * clone in `target` is reused (refused when it has uncommitted changes, unless `force`). When the
 * main remote cannot be reached and the bundle alone cannot rebuild HEAD, throws the remote's
 * CairnError and leaves `target` without a .git, ready for the stored files.
 */
export function restoreGit(target: string, state: VcsState, options: RestoreWorkingCopyOptions = {}): Promise<RestoreReport> {
  return restoreInto(target, state, options, {
    vcs: 'git',
    dirty: async (dir, signal) => (await git(dir, ['status', '--porcelain', '-z', '--untracked-files=normal'], { signal })).stdout.length > 0,
    init: async (dir, signal) => void (await git(dir, ['init', '-q'], { signal })),
    build: (dir, reused) => rebuild(dir, state, options, reused),
  });
}

async function rebuild(dir: string, state: VcsState, options: RestoreWorkingCopyOptions, reused: boolean): Promise<RestoreReport> {
  const signal = options.signal;
  const run = (args: readonly string[], more: { input?: string; okCodes?: number[] } = {}) => git(dir, args, { signal, ...more });
  const warnings: string[] = [];
  const remote = mainRemote(state, options);
  let unreachable: CairnError | null = null;
  let fetched = false;
  const others = state.remotes.filter((r) => r.name !== remote?.name).map((r) => ({ ...r, recorded: r.url }));
  const remotes = await withSavedUrls([...others, ...(remote === null ? [] : [remote])], remote?.name, options);
  if (state.head !== null) {
    for (const each of remotes) {
      try {
        await run(['fetch', '-q', '--no-tags', each.url, `+refs/heads/*:refs/remotes/${each.name}/*`, '+refs/tags/*:refs/tags/*']);
        fetched ||= each.name === remote?.name;
      } catch (error) {
        if (!isCairnError(error, 'ERR_IO')) throw error;
        if (each.name === remote?.name) unreachable = remoteUnreachable('git', state.root, each.url, error, each.recorded);
        else warnings.push(`the remote ${each.name} (${stripCredentials(each.url)}) could not be reached: ${firstLines(stderrOf(error), 1)}`);
      }
    }
  }
  await applyBundle(options.extras, GIT_BUNDLE, state, unreachable, (bundle) => run(['fetch', '-q', '--no-tags', bundle, `+refs/*:${RESTORE_NS}*`]));
  const wanted = [...state.refs.map((ref) => ref.commit), ...state.stashes.map((stash) => stash.commit), ...(state.head === null ? [] : [state.head])];
  const present = await presentObjects(dir, wanted, signal);
  requireHead(state.head !== null && !present.has(state.head), 'HEAD', state, remote, unreachable, warnings);

  const updates: string[] = [];
  for (const ref of state.refs) {
    if (present.has(ref.commit)) updates.push(`update ${ref.name} ${ref.commit}\n`);
    else warnings.push(`${ref.name} (${ref.commit}) is neither on the remote nor in the bundle: not restored`);
  }
  if (updates.length > 0) await run(['update-ref', '--stdin'], { input: updates.join('') });
  await restoreRepoFiles(dir, state, options.extras, reused, remotes.find((each) => each.name === remote?.name) ?? null);
  for (const each of remotes) {
    // A remote that moved (--vcs-remote): the rebuilt repository points to where it is now.
    const known = each.rewritten && (await run(['config', '--get', `remote.${each.name}.url`], { okCodes: [0, 1] })).stdout.length > 0;
    if (known) await run(['config', `remote.${each.name}.url`, each.url]);
  }

  if (state.branch !== null) await run(['symbolic-ref', 'HEAD', `refs/heads/${state.branch}`]);
  if (state.head !== null) {
    if (state.branch === null) await run(['update-ref', '--no-deref', 'HEAD', state.head]);
    await run(['reset', '-q', '--hard', state.head]);
  }
  const restoreRefs = splitLines((await run(['for-each-ref', '--format=%(refname)', RESTORE_NS])).stdout);
  if (restoreRefs.includes(`${RESTORE_NS}cairn/index`)) await run(['read-tree', `${RESTORE_NS}cairn/index`]);
  for (const stash of [...state.stashes].reverse()) {
    if (present.has(stash.commit)) await run(['stash', 'store', '-q', '-m', stash.message, stash.commit]);
    else warnings.push(`the stash entry "${stash.message}" (${stash.commit}) is not in the bundle: not restored`);
  }
  const copy = await workingCopyAt(dir);
  await restoreOperation(options.extras, copy?.metaDir ?? join(dir, '.git'));
  if (restoreRefs.length > 0) await run(['update-ref', '--stdin'], { input: restoreRefs.map((ref) => `delete ${ref}\n`).join('') });
  await removeMissing(dir, state, { emptied: true });
  return { fetched, reused, warnings };
}

/** A remote as the git restore fetches it; `rewritten` when a rewrite (--vcs-remote) changed its URL. */
interface FetchRemote extends RestoreRemote {
  readonly rewritten: boolean;
}

/**
 * The remotes with the URLs of the saved config where it has them (the recorded ones lost their
 * credentials, the saved config is the repository's own), then rewritten by `options.rewrites`.
 * An explicit remoteUrl wins for the main remote.
 */
async function withSavedUrls(remotes: readonly RestoreRemote[], main: string | undefined, options: RestoreWorkingCopyOptions): Promise<FetchRemote[]> {
  const config = options.extras === undefined ? null : join(options.extras, 'config');
  const hasConfig = config !== null && (await exists(config));
  return Promise.all(remotes.map(async (remote) => {
    if (options.remoteUrl !== undefined && remote.name === main) return { ...remote, rewritten: false };
    let url = remote.recorded;
    if (hasConfig) {
      const saved = await git(options.extras as string, ['config', '-f', config, '--get', `remote.${remote.name}.url`], { okCodes: [0, 1] });
      url = saved.stdout.toString().trim() || url;
    }
    const rewritten = rewriteUrl(url, options.rewrites);
    return { name: remote.name, url: rewritten, recorded: remote.recorded, rewritten: rewritten !== url };
  }));
}

/** Which of `commits` the repository in `dir` has. */
async function presentObjects(dir: string, commits: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
  if (commits.length === 0) return new Set();
  const out = await git(dir, ['cat-file', '--batch-check'], { signal, input: commits.map((commit) => `${commit}\n`).join('') });
  const present = new Set<string>();
  for (const line of splitLines(out.stdout)) if (!line.endsWith(' missing')) present.add(line.split(' ')[0] as string);
  return present;
}

/** Puts config, info/exclude and hooks back (a reused clone keeps its own); without a stored config, records the remote. */
async function restoreRepoFiles(dir: string, state: VcsState, extras: string | undefined, reused: boolean, remote: { name: string; url: string } | null): Promise<void> {
  const copy = await workingCopyAt(dir);
  const common = copy === null ? join(dir, '.git') : await gitCommonDir(copy);
  const put = async (from: string, to: string) => (reused && (await exists(to)) ? false : copyRegular(from, to));
  let configRestored = false;
  if (extras !== undefined) {
    configRestored = await put(join(extras, 'config'), join(common, 'config'));
    await put(join(extras, 'info', 'exclude'), join(common, 'info', 'exclude'));
    const hooks = join(extras, 'hooks');
    for (const name of await readdir(hooks).catch(() => [] as string[])) await put(join(hooks, name), join(common, 'hooks', name));
  }
  if (configRestored) {
    // A submodule's or worktree's config may name its working tree relative to the old git dir
    // (core.worktree = ../../../lib): edited as a file, from the extras folder, since git would
    // follow that setting out of the target before it could unset it.
    const file = ['config', '-f', join(common, 'config'), '--unset'];
    await git(extras as string, [...file, 'core.worktree'], { okCodes: [0, 5] });
    await git(extras as string, [...file, 'core.bare'], { okCodes: [0, 5] });
  } else if (!reused && remote !== null) {
    await git(dir, ['remote', 'add', remote.name, remote.url], { okCodes: [0, 3] });
    if (state.branch !== null && state.upstream?.startsWith(`${remote.name}/`) === true) {
      await git(dir, ['config', `branch.${state.branch}.remote`, remote.name]);
      await git(dir, ['config', `branch.${state.branch}.merge`, `refs/heads/${state.upstream.slice(remote.name.length + 1)}`]);
    }
  }
}

/**
 * Completes a git restore once the stored files are in place (the tracked files that were absent
 * went with the checkout, in restoreGit): stages recorded additions and removals the restored
 * index lacks, refreshes the index; a submodule's git dir moves into its restored parent's.
 */
export async function finishGit(target: string, state: VcsState, signal?: AbortSignal): Promise<void> {
  const dir = resolve(target);
  for (const path of [...state.changes.added, ...state.changes.removed, ...state.changes.missing]) insideRoot(dir, path, state);
  const indexed = new Set(splitNul((await git(dir, ['ls-files', '-z'], { signal })).stdout));
  const toAdd = state.changes.added.filter((path) => !indexed.has(path));
  const toRemove = state.changes.removed.filter((path) => indexed.has(path));
  const nul = (paths: readonly string[]) => paths.map((path) => `${path}\0`).join('');
  if (toAdd.length > 0) await git(dir, ['add', '-f', '--pathspec-from-file=-', '--pathspec-file-nul'], { signal, input: nul(toAdd), env: LITERAL });
  if (toRemove.length > 0) await git(dir, ['rm', '-q', '--cached', '--ignore-unmatch', '--pathspec-from-file=-', '--pathspec-file-nul'], { signal, input: nul(toRemove), env: LITERAL });
  await git(dir, ['update-index', '-q', '--refresh'], { signal, okCodes: [0, 1] });
  if (state.kind === 'submodule') await absorbIntoParent(dir, signal);
}

/**
 * A restored submodule has its own .git folder; when its parent was restored around it, git moves
 * that folder into the parent's .git/modules/ and leaves a .git file, as `git submodule update`
 * would have. Best effort: a submodule the parent does not know keeps its own .git folder.
 */
async function absorbIntoParent(dir: string, signal?: AbortSignal): Promise<void> {
  const parent = await enclosingWorkingCopy(dirname(dir));
  if (parent?.vcs !== 'git') return;
  const path = relative(parent.root, dir).split(sep).join('/');
  try {
    await git(parent.root, ['submodule', '--quiet', 'absorbgitdirs', '--', path], { signal });
  } catch (error) {
    if (!isCairnError(error, 'ERR_IO')) throw error;
  }
}
