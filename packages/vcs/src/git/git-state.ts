import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createStatus, isDirtyStatus } from '../status.js';
import { splitLines, splitNul } from '../run.js';
import { stripCredentials } from '../url.js';
import type { VcsFile, VcsRef, VcsRemote, VcsStash, VcsState, VcsStatus, WorkingCopy } from '../types.js';
import { git, gitCommonDir } from './git-dirs.js';
import { parseLsFiles, parsePorcelainV2 } from './parse.js';
import type { PorcelainEntry } from './parse.js';

/** Mode of a gitlink (a submodule's commit in its parent's index). */
const GITLINK = '160000';

/** Reads a git working copy's state through git itself: status, ls-files, for-each-ref, config, rev-list. */
export async function readGitStatus(copy: WorkingCopy, signal?: AbortSignal, references = true): Promise<VcsStatus> {
  const run = (args: readonly string[], okCodes?: readonly number[]) => git(copy.root, args, { signal, ...(okCodes === undefined ? {} : { okCodes }) });
  const [status, index, refsAndCommits, urls] = await Promise.all([
    run(['status', '--porcelain=v2', '-z', '--branch', '--show-stash', '--ignored=traditional', '--untracked-files=normal']),
    run(['ls-files', '-s', '-v', '-z']),
    readRefs(copy.root, signal),
    run(['config', '-z', '--get-regexp', '^remote\\..*\\.url$'], [0, 1]),
  ]);
  const where = `git working copy ${copy.root}`;
  const porcelain = parsePorcelainV2(status.stdout, where);
  const files = new Map<string, VcsFile>();
  for (const entry of parseLsFiles(index.stdout, where)) {
    if (entry.mode === GITLINK) continue; // a submodule: its own working copy answers for its files
    if (entry.stage > 0) files.set(entry.path, { path: entry.path, status: 'conflicted' });
    // Only a plain "H" entry is known to match the file: S is skip-worktree, lowercase assume-unchanged.
    else files.set(entry.path, entry.tag === 'H' ? { path: entry.path, status: 'clean', id: entry.oid } : { path: entry.path, status: 'clean' });
  }
  const changes = applyPorcelain(porcelain.entries, files);
  if (await mayFilter(copy, files)) await dropFilteredIds(copy.root, files, signal);

  const { refs, localCommits } = refsAndCommits;
  const stashes = porcelain.stash > 0 ? await readStashes(copy.root, signal) : [];
  const head = porcelain.oid;
  const state: VcsState = {
    vcs: 'git',
    root: copy.root,
    kind: copy.kind,
    head,
    branch: porcelain.branch,
    upstream: porcelain.upstream,
    ahead: porcelain.ahead,
    behind: porcelain.behind,
    remotes: parseRemotes(urls.stdout),
    dirty: porcelain.entries.some((entry) => entry.kind !== 'ignored'),
    pushed: head !== null && localCommits !== null && !localCommits.has(head),
    unpushed: localCommits === null ? refsAndCommits.count : localCommits.size,
    stashes,
    refs,
    changes,
  };
  if (references && !state.pushed && head !== null && localCommits !== null && localCommits.size > 0) {
    // The boundary commits ("-<id>") are the pushed ones HEAD's local commits start from, first parent first.
    const boundary = await run(['rev-list', '--boundary', '--first-parent', 'HEAD', '--not', '--remotes']);
    const base = splitLines(boundary.stdout).find((line) => line.startsWith('-'))?.slice(1) ?? '';
    await pinToPushedBase(copy.root, base, files, signal);
  }
  return createStatus(copy, state, files, 'untracked');
}

/**
 * With HEAD not on any remote, a clean file can still be recorded by reference when its content is
 * the same in `base`, the newest pushed commit HEAD descends from: such files get that commit; the
 * clean files the local commits changed lose their id (they must be stored). Without a pushed
 * ancestor (`base` empty), every id goes.
 */
async function pinToPushedBase(root: string, base: string, files: Map<string, VcsFile>, signal?: AbortSignal): Promise<void> {
  let changed: Set<string> | null = null;
  if (base !== '') {
    const diff = await git(root, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', '--no-commit-id', base, 'HEAD'], { signal });
    changed = new Set(splitNul(diff.stdout));
  }
  for (const file of files.values()) {
    if (file.status !== 'clean' || file.id === undefined) continue;
    files.set(file.path, changed !== null && !changed.has(file.path) ? { ...file, commit: base } : { path: file.path, status: 'clean' });
  }
}

/**
 * Local branches and tags, and the commits of HEAD, branches and tags that no remote-tracking ref
 * reaches (null when there is no remote-tracking ref at all: then every commit is local, counted).
 */
async function readRefs(root: string, signal?: AbortSignal): Promise<{ refs: VcsRef[]; localCommits: Set<string> | null; count: number }> {
  const out = await git(root, ['for-each-ref', '--format=%(refname)%00%(objectname)', 'refs/heads', 'refs/tags', 'refs/remotes'], { signal });
  const refs: VcsRef[] = [];
  let remoteRefs = 0;
  for (const line of splitLines(out.stdout)) {
    const [name = '', commit = ''] = line.split('\0');
    if (name.startsWith('refs/remotes/')) remoteRefs += 1;
    else refs.push({ name, commit });
  }
  // Without remote-tracking refs every commit is local: count them rather than list a whole history.
  const args = remoteRefs === 0 ? ['rev-list', '--count', '--branches', '--tags'] : ['rev-list', '--branches', '--tags', '--not', '--remotes'];
  // Exit 128: HEAD does not exist yet (no commit); then only branches and tags count.
  let listed = await git(root, [...args.slice(0, 1), 'HEAD', ...args.slice(1)], { signal, okCodes: [0, 128] });
  if (listed.code !== 0) listed = await git(root, args, { signal });
  if (remoteRefs === 0) return { refs, localCommits: null, count: Number(listed.stdout.toString().trim()) };
  const localCommits = new Set(splitLines(listed.stdout));
  return { refs, localCommits, count: localCommits.size };
}

/** Overlays status entries on the index's files; returns the changes a restore must re-apply. */
function applyPorcelain(entries: readonly PorcelainEntry[], files: Map<string, VcsFile>): VcsState['changes'] {
  const added: string[] = [];
  const removed: string[] = [];
  const missing: string[] = [];
  for (const entry of entries) {
    if (entry.kind === 'untracked' || entry.kind === 'ignored') {
      const folder = entry.path.endsWith('/');
      const path = folder ? entry.path.slice(0, -1) : entry.path;
      files.set(path, { path, status: entry.kind, ...(folder ? { folder } : {}) });
    } else if (entry.kind === 'unmerged') {
      files.set(entry.path, { path: entry.path, status: 'conflicted' });
    } else if (!entry.submodule) {
      const [x, y] = [entry.xy[0], entry.xy[1]];
      const gone = x === 'D' || y === 'D';
      if (x === 'A' || entry.kind === 'renamed') added.push(entry.path);
      if (x === 'D') removed.push(entry.path);
      if (gone) missing.push(entry.path);
      const status = gone ? 'deleted' : x === 'A' ? 'added' : entry.kind === 'renamed' ? 'renamed' : 'modified';
      files.set(entry.path, { path: entry.path, status });
      if (entry.kind === 'renamed' && x === 'R') {
        removed.push(entry.origPath);
        missing.push(entry.origPath);
      }
    }
  }
  // A path deleted from the index but present again in the working tree is listed as untracked too.
  const present = (path: string) => {
    const status = files.get(path)?.status;
    return status !== undefined && status !== 'deleted' && isDirtyStatus(status);
  };
  return { added, removed, missing: missing.filter((path) => !present(path)) };
}

/** True when some attributes file could name a filter (LFS and the like), so clean files may differ from their blobs. */
async function mayFilter(copy: WorkingCopy, files: ReadonlyMap<string, VcsFile>): Promise<boolean> {
  for (const path of files.keys()) if (path === '.gitattributes' || path.endsWith('/.gitattributes')) return true;
  const info = join(await gitCommonDir(copy), 'info', 'attributes');
  return access(info).then(() => true, () => false);
}

/** Drops the id of every clean file that goes through a filter: its working bytes are not its blob's. */
async function dropFilteredIds(root: string, files: Map<string, VcsFile>, signal?: AbortSignal): Promise<void> {
  const candidates = [...files.values()].filter((file) => file.id !== undefined).map((file) => file.path);
  if (candidates.length === 0) return;
  const out = await git(root, ['check-attr', '-z', '--stdin', 'filter'], { input: `${candidates.join('\0')}\0`, signal });
  const fields = splitNul(out.stdout);
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [path, , value] = [fields[i] as string, fields[i + 1], fields[i + 2]];
    if (value !== 'unspecified' && value !== 'unset') files.set(path, { path, status: 'clean' });
  }
}

async function readStashes(root: string, signal?: AbortSignal): Promise<VcsStash[]> {
  const out = await git(root, ['log', '-g', '-z', '--format=%H%x00%gs', 'refs/stash'], { signal });
  const fields = splitNul(out.stdout);
  const stashes: VcsStash[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) stashes.push({ commit: fields[i] as string, message: fields[i + 1] as string });
  return stashes;
}

function parseRemotes(output: Buffer): VcsRemote[] {
  const remotes: VcsRemote[] = [];
  for (const record of splitNul(output)) {
    const newline = record.indexOf('\n');
    const key = record.slice(0, newline);
    const name = key.slice('remote.'.length, -'.url'.length);
    remotes.push({ name, url: stripCredentials(record.slice(newline + 1)) });
  }
  return remotes;
}
