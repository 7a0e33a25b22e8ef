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
 * ERR_UNSUPPORTED. ERR_IO naming the entries a restore could not write.
 */
export async function rollbackPaths(repo: Repository, ports: RollbackPorts, entry: SnapshotEntry | null, paths: readonly string[], absent: readonly string[] = []): Promise<RollbackResult> {
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
