import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CairnError, isCairnError } from '@cairn/core';
import { copyRegular, exists, withTempDir } from '../fs-util.js';
import { remoteUnreachable } from '../remote-error.js';
import { applyBundle, requireHead, restoreInto } from '../restore-steps.js';
import { insideRoot, mainRemote, removeMissing } from '../restore-util.js';
import type { RestoreReport, RestoreWorkingCopyOptions, VcsState } from '../types.js';
import { rewriteUrl } from '../url.js';
import type { RemoteRewrite } from '../url.js';
import { HG_BUNDLE } from './hg-extras.js';
import { hg } from './hg-state.js';

/**
 * Rebuilds a Mercurial working copy in `target` from a recorded state: pulls the recorded remote,
 * unbundles the draft changesets, restores hgrc and shelves, updates to the recorded parent,
 * branch and bookmarks. Reuses an existing clean repository in `target`. When the remote cannot
 * be reached and the bundle alone cannot rebuild the parent, throws the remote's CairnError and
 * leaves `target` without a .hg.
 */
export function restoreHg(target: string, state: VcsState, options: RestoreWorkingCopyOptions = {}): Promise<RestoreReport> {
  return restoreInto(target, state, options, {
    vcs: 'hg',
    dirty: async (dir, signal) => (await hg(dir, ['status', '-mardu'], { signal })).stdout.length > 0,
    init: async (dir, signal) => void (await hg(dir, ['init', '.'], { signal })),
    build: (dir, reused) => rebuild(dir, state, options, reused),
  });
}

async function rebuild(dir: string, state: VcsState, options: RestoreWorkingCopyOptions, reused: boolean): Promise<RestoreReport> {
  const signal = options.signal;
  const run = (args: readonly string[], okCodes?: number[]) => hg(dir, args, { signal, ...(okCodes === undefined ? {} : { okCodes }) });
  const warnings: string[] = [];
  const remote = mainRemote(state, options);
  let unreachable: CairnError | null = null;
  let fetched = false;
  if (remote !== null && state.head !== null) {
    try {
      await run(['pull', '-q', remote.url]);
      fetched = true;
    } catch (error) {
      if (!isCairnError(error, 'ERR_IO')) throw error;
      unreachable = remoteUnreachable('hg', state.root, remote.url, error, remote.recorded);
    }
  }
  await applyBundle(options.extras, HG_BUNDLE, state, unreachable, (bundle) => run(['unbundle', '-q', bundle]));
  const has = async (node: string) => (await run(['log', '-q', '-r', `id(${node})`, '-T', 'x'], [0, 255])).stdout.length > 0;
  requireHead(state.head !== null && !(await has(state.head)), 'parent', state, remote, unreachable, warnings);

  const hgrc = join(dir, '.hg', 'hgrc');
  const restored = options.extras !== undefined && !(reused && (await exists(hgrc))) && (await copyRegular(join(options.extras, 'hgrc'), hgrc));
  if (!restored && !reused && remote !== null) await writeFile(hgrc, `[paths]\n${remote.name} = ${remote.url}\n`);
  if (restored && (options.rewrites ?? []).length > 0) await writeFile(hgrc, rewritePaths(await readFile(hgrc, 'utf8'), options.rewrites ?? []));
  if (options.extras !== undefined) {
    const shelved = join(options.extras, 'shelved');
    for (const name of await readdir(shelved).catch(() => [] as string[])) await copyRegular(join(shelved, name), join(dir, '.hg', 'shelved', name));
  }
  if (state.head !== null) await run(['update', '-q', '-C', '-r', state.head]);
  for (const ref of state.refs) {
    if (await has(ref.commit)) await run(['bookmark', '-q', '-f', '-r', ref.commit, ref.name]);
    else warnings.push(`the bookmark ${ref.name} (${ref.commit}) is neither on the remote nor in the bundle: not restored`);
  }
  if (state.bookmark !== undefined) await run(['bookmark', '-q', '-f', state.bookmark]);
  if (state.branch !== null) {
    const current = (await run(['branch'])).stdout.toString().trim();
    if (current !== state.branch) await run(['branch', '-q', '-f', state.branch]);
  }
  await removeMissing(dir, state, { emptied: true });
  return { fetched, reused, warnings };
}

/** An hgrc with the URLs of its [paths] section rewritten (a remote that moved): the rebuilt repository points to where it is now. */
function rewritePaths(text: string, rewrites: readonly RemoteRewrite[]): string {
  let section = '';
  return text.split('\n').map((line) => {
    const header = /^\s*\[([^\]]*)\]/.exec(line);
    if (header !== null) section = (header[1] ?? '').trim();
    const entry = section === 'paths' ? /^([^\s#;=][^=]*=\s*)(\S.*?)\s*$/.exec(line) : null;
    return entry === null ? line : `${entry[1] ?? ''}${rewriteUrl(entry[2] ?? '', rewrites)}`;
  }).join('\n');
}

/** Completes a Mercurial restore once the stored files are in place (what was absent went with the update, in restoreHg): re-schedules additions and removals. */
export async function finishHg(target: string, state: VcsState, signal?: AbortSignal): Promise<void> {
  const dir = resolve(target);
  for (const path of state.changes.missing) insideRoot(dir, path, state);
  await withTempDir('cairn-hg-list-', async (tmp) => {
    const list = async (name: string, paths: readonly string[]) => {
      for (const path of paths) insideRoot(dir, path, state);
      const file = join(tmp, name);
      await writeFile(file, paths.map((path) => `${path}\0`).join(''));
      return `listfile0:${file}`;
    };
    if (state.changes.added.length > 0) await hg(dir, ['add', '-q', await list('added', state.changes.added)], { signal });
    if (state.changes.removed.length > 0) await hg(dir, ['remove', '-q', '-A', await list('removed', state.changes.removed)], { signal });
  });
}
