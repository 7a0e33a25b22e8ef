import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CairnError, fromSystemError } from '@cairn/core';
import type { WorkingCopy } from './types.js';

/** Names of VCS data folders: never descended into. Each starts with '.' (the selector looks up only such names). */
export const VCS_META_NAMES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn']);

async function statOrNull(path: string, follow = false): Promise<import('node:fs').Stats | null> {
  try {
    return await (follow ? stat(path) : lstat(path));
  } catch {
    return null;
  }
}

/** The git dir a `.git` file ("gitdir: <path>") points to, or null when it is not one. */
async function gitDirFromFile(file: string): Promise<string | null> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const match = /^gitdir: (.+)$/m.exec(text);
  if (match?.[1] === undefined) return null;
  const target = match[1].trim();
  return isAbsolute(target) ? target : resolve(dirname(file), target);
}

async function gitCopyAt(dir: string): Promise<WorkingCopy | null> {
  const dotGit = join(dir, '.git');
  const info = await statOrNull(dotGit);
  if (info === null) return null;
  if (info.isDirectory()) {
    if ((await statOrNull(join(dotGit, 'HEAD'))) === null) return null;
    return { vcs: 'git', root: dir, metaDir: dotGit, kind: 'repository' };
  }
  if (!info.isFile()) return null;
  const gitDir = await gitDirFromFile(dotGit);
  if (gitDir === null || (await statOrNull(join(gitDir, 'HEAD'), true)) === null) return null;
  // A linked worktree's git dir names the shared one in "commondir"; a submodule's lives under modules/.
  if ((await statOrNull(join(gitDir, 'commondir'), true)) !== null) return { vcs: 'git', root: dir, metaDir: gitDir, kind: 'worktree' };
  const underModules = gitDir.split(sep).includes('modules');
  return { vcs: 'git', root: dir, metaDir: gitDir, kind: underModules ? 'submodule' : 'repository' };
}

/**
 * The working copy whose top folder is `dir`, or null: git (a `.git` folder with a HEAD, or a
 * `.git` file pointing to a worktree's or submodule's git dir), Mercurial (`.hg`), Subversion
 * (`.svn` holding `wc.db`, which only a working copy's root has). A bare repository is not a
 * working copy. When several VCSs share a folder, git wins, then hg.
 */
export async function workingCopyAt(dir: string): Promise<WorkingCopy | null> {
  const root = resolve(dir);
  const git = await gitCopyAt(root);
  if (git !== null) return git;
  const hg = join(root, '.hg');
  if ((await statOrNull(hg))?.isDirectory() === true) return { vcs: 'hg', root, metaDir: hg, kind: 'repository' };
  const svn = join(root, '.svn');
  if ((await statOrNull(join(svn, 'wc.db')))?.isFile() === true) return { vcs: 'svn', root, metaDir: svn, kind: 'repository' };
  return null;
}

/** The innermost working copy holding `path` (the folder itself or one of its parents), or null. */
export async function enclosingWorkingCopy(path: string): Promise<WorkingCopy | null> {
  let dir = resolve(path);
  for (;;) {
    const found = await workingCopyAt(dir);
    if (found !== null) return found;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Options of findWorkingCopies. */
export interface FindOptions {
  /** Also report the working copy `root` lies inside of, when `root` is not a working copy's top (default true). */
  readonly enclosing?: boolean;
  /** Folders not to search, by path relative to `root` ('/'-separated). */
  readonly skip?: (relativePath: string) => boolean;
  readonly signal?: AbortSignal;
}

/**
 * Every working copy in the tree at `root` (nested ones too: submodules, worktrees, repositories
 * inside others), sorted by root path. Never descends into .git, .hg or .svn, nor follows symlinks.
 */
export async function findWorkingCopies(root: string, options: FindOptions = {}): Promise<WorkingCopy[]> {
  const top = resolve(root);
  const info = await lstat(top).catch((error: unknown) => {
    throw fromSystemError(error, `cannot search ${top} for working copies`);
  });
  if (!info.isDirectory()) throw new CairnError('ERR_NOT_FOUND', `cannot search ${top} for working copies: it is not a folder`);
  const found: WorkingCopy[] = [];
  if (options.enclosing !== false && (await workingCopyAt(top)) === null) {
    const outer = await enclosingWorkingCopy(dirname(top));
    if (outer !== null) found.push(outer);
  }
  const pending = [top];
  while (pending.length > 0) {
    if (options.signal?.aborted) throw new CairnError('ERR_ABORTED', `search for working copies in ${top} was aborted`);
    const dir = pending.pop() as string;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // An unreadable folder cannot hold a working copy we could read either.
      if (dir === top) throw fromSystemError(error, `cannot search ${top} for working copies`);
      continue;
    }
    // Only a folder holding .git, .hg or .svn is looked at more closely.
    if (entries.some((entry) => VCS_META_NAMES.has(entry.name))) {
      const copy = await workingCopyAt(dir);
      if (copy !== null) found.push(copy);
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || VCS_META_NAMES.has(entry.name)) continue;
      const child = join(dir, entry.name);
      if (options.skip?.(relative(top, child).split(sep).join('/')) !== true) pending.push(child);
    }
  }
  return found.sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
}

/** The innermost of `copies` whose root holds `path` (absolute), or undefined. */
export function ownerOf(copies: readonly WorkingCopy[], path: string): WorkingCopy | undefined {
  const target = resolve(path);
  let best: WorkingCopy | undefined;
  for (const copy of copies) {
    const inside = target === copy.root || target.startsWith(copy.root.endsWith(sep) ? copy.root : copy.root + sep);
    if (inside && (best === undefined || copy.root.length > best.root.length)) best = copy;
  }
  return best;
}

/** `path` (absolute) relative to the working copy's root, '/'-separated ('' for the root itself). */
export function relativeToCopy(copy: WorkingCopy, path: string): string {
  const rel = relative(copy.root, resolve(path));
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new RangeError(`relativeToCopy: ${path} is not inside the working copy at ${copy.root}`);
  return rel.split(sep).join('/');
}
