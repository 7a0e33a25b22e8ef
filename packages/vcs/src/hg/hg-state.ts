import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError, isCairnError } from '@cairn/core';
import { createStatus } from '../status.js';
import { runTool, splitLines, splitNul, stderrOf } from '../run.js';
import type { RunOptions, RunResult } from '../run.js';
import { stripCredentials } from '../url.js';
import type { FileStatus, VcsFile, VcsRef, VcsRemote, VcsState, VcsStatus, WorkingCopy } from '../types.js';

const NULL_NODE = '0'.repeat(40);
const WDIR_NODE = 'f'.repeat(40);

/** Runs hg (HGPLAIN) in `cwd`; "no repository found" becomes ERR_NOT_REPOSITORY. */
export async function hg(cwd: string, args: readonly string[], options: Omit<RunOptions, 'cwd'> = {}): Promise<RunResult> {
  try {
    return await runTool('hg', args, { ...options, cwd });
  } catch (error) {
    if (isCairnError(error, 'ERR_IO') && /no repository found/i.test(stderrOf(error))) {
      throw new CairnError('ERR_NOT_REPOSITORY', `${cwd} is not a Mercurial working copy`, { cause: error });
    }
    throw error;
  }
}

const STATUS_CODES: Readonly<Record<string, FileStatus>> = {
  M: 'modified', A: 'added', R: 'deleted', '!': 'deleted', '?': 'untracked', C: 'clean',
};

// One line per revision: node, phase, branch, graph mark ('@' for the working directory's parent), active bookmark, bookmarks.
const LOG_TEMPLATE = '{node}\\0{phase}\\0{branch}\\0{graphnode}\\0{activebookmark}\\0{join(bookmarks, " ")}\\n';

/** Reads a Mercurial working copy's state: status, the non-public changesets, bookmarks, paths, the manifest's file nodes. */
export async function readHgStatus(copy: WorkingCopy, signal?: AbortSignal): Promise<VcsStatus> {
  const run = (args: readonly string[]) => hg(copy.root, args, { signal });
  const merging = await access(join(copy.metaDir, 'merge', 'state2')).then(() => true, () => access(join(copy.metaDir, 'merge', 'state')).then(() => true, () => false));
  const [status, log, paths, manifest, resolve] = await Promise.all([
    run(['status', '-0', '-mardcu']),
    run(['log', '-r', 'wdir() or . or not public() or bookmark()', '-T', LOG_TEMPLATE]),
    run(['paths', '-T', 'json']),
    run(['manifest', '--debug', '-r', '.']),
    merging ? run(['resolve', '-l', '-T', 'json']) : Promise.resolve(null),
  ]);
  const ids = new Map<string, string>();
  for (const line of splitLines(manifest.stdout)) {
    // "<file node> <perm> <flag> <path>": 40 hex, space, 3 digits, space, one flag character, space.
    ids.set(line.slice(47), line.slice(0, 40));
  }
  const files = new Map<string, VcsFile>();
  const added: string[] = [];
  const removed: string[] = [];
  const missing: string[] = [];
  let dirty = false;
  for (const record of splitNul(status.stdout)) {
    const code = record[0] ?? '';
    const path = record.slice(2);
    const fileStatus = STATUS_CODES[code];
    if (fileStatus === undefined) throw new CairnError('ERR_FORMAT', `Mercurial working copy ${copy.root}: unexpected status line "${record}"`);
    if (fileStatus !== 'clean') dirty = true;
    if (code === 'A') added.push(path);
    if (code === 'R') removed.push(path);
    if (code === 'R' || code === '!') missing.push(path);
    const id = fileStatus === 'clean' ? ids.get(path) : undefined;
    files.set(path, id === undefined ? { path, status: fileStatus } : { path, status: fileStatus, id });
  }
  if (resolve !== null) {
    for (const entry of JSON.parse(resolve.stdout.toString('utf8')) as { path: string; mergestatus: string }[]) {
      if (entry.mergestatus === 'U') files.set(entry.path, { path: entry.path, status: 'conflicted' });
    }
  }

  let head: string | null = null;
  let headPublic = false;
  let branch: string | null = null;
  let bookmark: string | undefined;
  let unpushed = 0;
  const refs: VcsRef[] = [];
  for (const line of splitLines(log.stdout)) {
    const [node = '', phase = '', lineBranch = '', graph = '', active = '', marks = ''] = line.split('\0');
    if (node === WDIR_NODE) {
      branch = lineBranch;
      continue;
    }
    if (phase !== 'public') unpushed += 1;
    for (const name of marks.split(' ')) if (name !== '') refs.push({ name, commit: node });
    if (graph === '@') {
      head = node === NULL_NODE ? null : node;
      headPublic = phase === 'public';
      if (active !== '') bookmark = active;
    }
  }
  const remotes: VcsRemote[] = (JSON.parse(paths.stdout.toString('utf8')) as { name: string; url: string }[]).map((path) => ({
    name: path.name, url: stripCredentials(path.url),
  }));
  const state: VcsState = {
    vcs: 'hg',
    root: copy.root,
    kind: copy.kind,
    head,
    branch,
    upstream: remotes.some((remote) => remote.name === 'default') ? 'default' : null,
    ahead: null,
    behind: null,
    remotes,
    dirty,
    pushed: head !== null && headPublic,
    unpushed,
    stashes: [],
    refs,
    ...(bookmark === undefined ? {} : { bookmark }),
    changes: { added, removed, missing },
  };
  return createStatus(copy, state, files, 'ignored');
}
