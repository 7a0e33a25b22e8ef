import { CairnError, isCairnError, shortId } from '@cairn/core';
import type { EntryStat, Source, Target } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import type { Repository } from '../repo/repository.js';
import type { SnapshotEntry } from '../repo/snapshots.js';
import { lookupNode } from '../tree/file-lookup.js';
import { restore } from '../restore/restorer.js';
import { restoreFile } from '../restore/restore-file.js';
import { snapshotPathOf } from '../inspect/file-versions.js';
import type { RollbackResult } from './protect-types.js';

/** Where rollback reads what is there now and writes what goes back. */
export interface RollbackPorts {
  readonly source: Source;
  readonly target: (folder: string) => Target;
}

/** The folder and the name of an absolute path ("/a/b" -> "/a", "b"). */
export function splitPath(path: string): { folder: string; name: string } {
  const at = path.lastIndexOf('/');
  return { folder: at <= 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

/**
 * Puts `paths` (absolute) back as snapshot `entry` holds them, each found as snapshotPathOf says:
 * whatever is at a path now that the snapshot does not hold there (what a change created, or an
 * entry of another type) is removed first, then the entry is restored, overwriting. `absent` paths
 * (they did not exist when protected) are removed with everything below them. A path held below
 * a root of the snapshot (a file of a backup) comes back with restoreFile; a folder there is
 * ERR_UNSUPPORTED. ERR_IO naming the entries a restore could not write. Before anything changes,
 * each path's folder must still be the one `folders` recorded at protect (checkFolders).
 */
export async function rollbackPaths(repo: Repository, ports: RollbackPorts, entry: SnapshotEntry | null, paths: readonly string[], absent: readonly string[] = [], folders: Readonly<Record<string, Readonly<Record<string, string>>>> = {}): Promise<RollbackResult> {
  await checkFolders(ports.source, paths, absent, folders);
  const removed: string[] = [];
  let restored = 0;
  for (const path of absent) {
    const { folder, name } = splitPath(path);
    await removeTree(ports.source, ports.target(folder), path, [name], removed);
  }
  if (entry === null) {
    if (paths.length > 0) throw new TypeError('rollbackPaths: paths to put back need a snapshot');
    return { snapshotId: null, restored, removed };
  }
  const where = `snapshot ${shortId(entry.id)}`;
  for (const path of paths) {
    const { folder, name } = splitPath(path);
    const parts = snapshotPathOf(entry.snapshot, path);
    const node = await lookupNode(repo, entry.snapshot.tree, parts, where);
    if (node === null) throw new CairnError('ERR_NOT_FOUND', `${where} holds no ${path}: nothing was put back`, { hint: `list what it holds with \`cairn ls ${shortId(entry.id)}\`` });
    const target = ports.target(folder);
    await removeExtras(repo, ports.source, target, path, [name], node, removed, where);
    if (parts.length === 1 && parts[0] === name) {
      const result = await restore(repo, entry.id, { target, include: [escapeGlob(name)], overwrite: 'always' });
      if (result.problems.length > 0) {
        throw new CairnError('ERR_IO', `could not put back everything of ${path} from ${where}: ${result.problems.map((p) => p.message).join('; ')}`, {
          hint: `run the rollback again once the cause is fixed (\`cairn rollback ${path} --to ${shortId(entry.id)}\`)`,
        });
      }
      restored += result.files + result.dirs + result.symlinks + result.hardlinks;
    } else if (node.type === 'file') {
      await restoreFile(repo, entry.id, parts.join('/'), { target, name, overwrite: true });
      restored += 1;
    } else {
      throw new CairnError('ERR_UNSUPPORTED', `${path} is a ${node.type === 'dir' ? 'folder' : node.type} inside ${where}, not one of its roots: rollback puts back files and protected paths only`, {
        hint: `restore it with \`cairn restore ${shortId(entry.id)} --target <dir> --include ${parts.join('/')}\``,
      });
    }
  }
  return { snapshotId: entry.id, restored, removed };
}

/** A snapshot path pattern that matches exactly `name` (restore takes globs). */
function escapeGlob(name: string): string {
  return name.replace(/[\\*?[\]{}()!+@|^$]/g, '\\$&');
}

/**
 * Removes what is at `abs` (target path `rel`) that `node` does not hold there: all of it when
 * the types differ (a folder where a file was, or the other way), the entries the snapshot's
 * folder lacks when both are folders. Walks only below `abs`.
 */
async function removeExtras(repo: Repository, source: Source, target: Target, abs: string, rel: readonly string[], node: TreeNode | undefined, removed: string[], where: string): Promise<void> {
  const stat = await lstatOrNull(source, abs);
  if (stat === null) return;
  if (node === undefined || (node.type === 'dir') !== (stat.type === 'dir')) {
    await removeTree(source, target, abs, rel, removed, stat);
    return;
  }
  if (node.type !== 'dir' || node.subtree === undefined) return;
  const children = new Map((await repo.loadTree(node.subtree, `tree of ${abs} in ${where}`)).map((child) => [child.name, child]));
  for (const name of await source.readdir(abs)) {
    await removeExtras(repo, source, target, source.join(abs, name), [...rel, name], children.get(name), removed, where);
  }
}

/** Removes the entry at `abs` (target path `rel`) with everything below it; nothing there is fine. */
async function removeTree(source: Source, target: Target, abs: string, rel: readonly string[], removed: string[], known?: EntryStat): Promise<void> {
  const stat = known ?? await lstatOrNull(source, abs);
  if (stat === null) return;
  if (stat.type === 'dir') {
    for (const name of await source.readdir(abs)) await removeTree(source, target, source.join(abs, name), [...rel, name], removed);
  }
  await target.remove(rel);
  removed.push(abs);
}

async function lstatOrNull(source: Source, path: string): Promise<EntryStat | null> {
  try {
    return await source.lstat(path);
  } catch (error) {
    if (isCairnError(error, 'ERR_NOT_FOUND')) return null;
    throw error;
  }
}

/**
 * The symlinks on the way from "/" to the folder `path` and their targets, or null when nothing
 * is at `path` (a component on the way is missing, or is neither a folder nor a symlink).
 */
export async function wayTo(source: Source, path: string): Promise<Record<string, string> | null> {
  const links: Record<string, string> = {};
  let at = '';
  for (const name of path.split('/').filter((part) => part !== '')) {
    at = `${at}/${name}`;
    const type = await typeOf(source, at);
    if (type === 'gone') return null;
    if (type === 'a symlink') links[at] = await source.readlink(at);
    else if (type !== 'dir') return null;
  }
  return links;
}

/**
 * Refuses (ERR_EXISTS, nothing changed) when a path could lead the rollback elsewhere than where
 * it was protected: on the way from "/" to the path's folder, a component is now a symlink that
 * was not one then (or points elsewhere), a file, or unreachable. `folders` is what protect
 * recorded (folder → the symlinks on the way to it and their targets). A change that did that
 * would otherwise have the rollback write, or remove, wherever it leads. A component that is gone
 * is fine (the restore makes the folders again), and so is another folder in the place of one
 * (or, on the way to a path that did not exist then, a file: nothing is below it to remove);
 * paths protect recorded nothing for (a snapshot from before the record) are not checked.
 */
async function checkFolders(source: Source, present: readonly string[], absent: readonly string[], folders: Readonly<Record<string, Readonly<Record<string, string>>>>): Promise<void> {
  for (const path of [...present, ...absent]) {
    const { folder } = splitPath(path);
    let anchor = folder;
    while (!Object.hasOwn(folders, anchor) && anchor !== '/') anchor = splitPath(anchor).folder;
    const links = folders[anchor];
    if (links === undefined) continue;
    let at = '';
    for (const name of folder.split('/').filter((part) => part !== '')) {
      at = `${at}/${name}`;
      const type = await typeOf(source, at);
      if (type === 'gone') break;
      if (type === 'dir') continue;
      // Below a file nothing is there to remove: an absent path is done. A present one would need it replaced: refused.
      if (type !== 'a symlink' && !type.startsWith('unreachable') && absent.includes(path)) break;
      if (type === 'a symlink' && Object.hasOwn(links, at) && await source.readlink(at) === links[at]) continue;
      throw new CairnError('ERR_EXISTS', `cannot roll back ${path}: ${at} has become ${type === 'a symlink' ? 'a symlink (to ' + (await source.readlink(at)) + ')' : type} since it was protected, so the rollback would write where that leads; nothing was changed`, {
        hint: `put a folder back at ${at} (or move what is there away) and roll back again`,
      });
    }
  }
}

/** The type of what is at `path` (not followed): 'dir', 'gone', or what it is instead. */
async function typeOf(source: Source, path: string): Promise<string> {
  try {
    const stat = await source.lstat(path);
    return stat.type === 'dir' ? 'dir' : `a ${stat.type}`;
  } catch (error) {
    if (isGone(error)) return 'gone';
    return `unreachable (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Nothing is there (ENOENT); not a folder on the way (ENOTDIR) or a symlink loop (ELOOP) is something else. */
function isGone(error: unknown): boolean {
  return isCairnError(error, 'ERR_NOT_FOUND') && (error.cause as { code?: unknown } | undefined)?.code === 'ENOENT';
}
