import { copyFile, cp, lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyRegular, exists } from '../fs-util.js';
import { splitLines, splitNul } from '../run.js';
import { FIXED_IDENT, git } from './git-dirs.js';

/** Folder of an extras folder that holds an operation in progress (merge, rebase, cherry-pick…). */
export const OPERATION_DIR = 'operation';

/** Files of a git dir that say an operation is in progress. */
const MARKERS = ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'rebase-merge', 'rebase-apply', 'sequencer'];
/** Everything git keeps of one, besides the index. */
const FILES = ['MERGE_HEAD', 'MERGE_MSG', 'MERGE_MODE', 'MERGE_AUTOSTASH', 'AUTO_MERGE', 'ORIG_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'REBASE_HEAD', 'SQUASH_MSG'];
const FOLDERS = ['rebase-merge', 'rebase-apply', 'sequencer'];
const OBJECT_ID = /\b(?:[0-9a-f]{64}|[0-9a-f]{40})\b/g;

type Run = (args: readonly string[], options?: { input?: string; env?: Record<string, string>; okCodes?: number[] }) => Promise<{ stdout: Buffer }>;

/** The operations in progress in a git dir (names of the files that say so), empty when there is none. */
export async function operationsInProgress(gitDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of MARKERS) if (await exists(join(gitDir, name))) found.push(name);
  return found;
}

/** Every file of an operation in progress, for a fingerprint: paths below `gitDir`. */
export async function operationFiles(gitDir: string): Promise<string[]> {
  const paths = FILES.map((name) => join(gitDir, name));
  for (const folder of FOLDERS) paths.push(...(await filesBelow(join(gitDir, folder))));
  return paths;
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesBelow(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * Saves an operation in progress (a merge, rebase, cherry-pick or revert, stopped on conflicts or
 * not) into `outDir/operation`: its state files and the raw index (with its conflict stages).
 * Returns the ref updates that put the objects they name into the bundle: the commits they name
 * (refs/cairn/operation/N), and one commit of a tree that holds every blob of the index and
 * every tree the state files name (refs/cairn/operation-objects). Empty when nothing is in progress.
 */
export async function saveOperation(gitDir: string, root: string, outDir: string, run: Run, signal?: AbortSignal): Promise<{ files: string[]; updates: string[] }> {
  if ((await operationsInProgress(gitDir)).length === 0) return { files: [], updates: [] };
  const to = join(outDir, OPERATION_DIR);
  await mkdir(to, { recursive: true });
  const files: string[] = [];
  for (const name of FILES) if (await copyRegular(join(gitDir, name), join(to, name))) files.push(`${OPERATION_DIR}/${name}`);
  for (const folder of FOLDERS) {
    if (!(await lstat(join(gitDir, folder)).then((info) => info.isDirectory(), () => false))) continue;
    await cp(join(gitDir, folder), join(to, folder), { recursive: true });
    for (const path of await filesBelow(join(to, folder))) files.push(`${OPERATION_DIR}/${path.slice(to.length + 1)}`);
  }
  if (await copyRegular(join(gitDir, 'index'), join(to, 'index'))) files.push(`${OPERATION_DIR}/index`);

  const ids = new Set<string>();
  for (const path of files) {
    if (path.endsWith('/index')) continue;
    const text = await readFile(join(outDir, path), 'latin1');
    for (const match of text.matchAll(OBJECT_ID)) ids.add(match[0]);
  }
  const types = ids.size === 0 ? [] : splitLines((await run(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: [...ids].map((id) => `${id}\n`).join('') })).stdout);
  const updates: string[] = [];
  const entries: string[] = [];
  for (const line of types) {
    const [id = '', type = ''] = line.split(' ');
    if (type === 'commit') updates.push(`create refs/cairn/operation/${updates.length} ${id}`);
    else if (type === 'tree') entries.push(`040000 tree ${id}\tt${entries.length}`);
    else if (type === 'blob') entries.push(`100644 blob ${id}\tb${entries.length}`);
  }
  // The blobs of the index: conflict stages and resolutions staged with `git add` may be in no commit.
  const staged = splitNul((await git(root, ['ls-files', '-s', '-z'], { signal })).stdout);
  const blobs = new Set<string>();
  for (const entry of staged) {
    const [mode = '', oid = ''] = entry.split(' ');
    if (mode !== '160000') blobs.add(oid);
  }
  for (const oid of blobs) entries.push(`100644 blob ${oid}\tb${entries.length}`);
  if (entries.length > 0) {
    const tree = (await run(['mktree', '--missing'], { input: `${entries.join('\n')}\n` })).stdout.toString().trim();
    const commit = (await run(['commit-tree', tree, '-m', 'cairn: objects of an operation in progress'], { env: FIXED_IDENT })).stdout.toString().trim();
    updates.push(`create refs/cairn/operation-objects ${commit}`);
  }
  return { files, updates };
}

/** Puts a saved operation in progress back into the git dir of a rebuilt working copy, index included. */
export async function restoreOperation(extras: string | undefined, gitDir: string): Promise<boolean> {
  const from = extras === undefined ? null : join(extras, OPERATION_DIR);
  if (from === null || !(await exists(from))) return false;
  for (const name of FILES) await copyRegular(join(from, name), join(gitDir, name));
  for (const folder of FOLDERS) {
    if (await exists(join(from, folder))) await cp(join(from, folder), join(gitDir, folder), { recursive: true });
  }
  if (await exists(join(from, 'index'))) await copyFile(join(from, 'index'), join(gitDir, 'index'));
  return true;
}

