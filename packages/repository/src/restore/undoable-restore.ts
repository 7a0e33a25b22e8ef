import { CairnError, shortId } from '@cairn/core';
import type { Source } from '@cairn/core';
import { backup } from '../backup/archiver.js';
import type { BackupResult } from '../backup/backup-types.js';
import { restore } from './restorer.js';
import type { RestoreOptions, RestoreResult } from './restore-types.js';
import { findSnapshot, PRE_RESTORE_TAG } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';


/** Options of restoreUndoable: those of restore() (no dryRun), and where the target lives as a Source path. */
export interface UndoableRestoreOptions extends Omit<RestoreOptions, 'dryRun'> {
  /** Reads the target's current files (the local filesystem for a local target). */
  readonly source: Source;
  /** The target folder as a path of `source`. */
  readonly targetPath: string;
  /** Source paths the backup of the target leaves out (the repository's own folder, say). */
  readonly skip?: readonly string[];
}

/** What restoreUndoable did. */
export interface UndoableRestoreResult {
  readonly restore: RestoreResult;
  /** The snapshot of what the restore overwrote (tagged pre-restore), or null when it overwrote nothing. */
  readonly backup: BackupResult | null;
}

/**
 * Restores a snapshot like restore(), after first backing up every entry of the target it is
 * about to replace (found by a dry run of the same restore) into a snapshot tagged `pre-restore`
 * whose meta names the restore (`restore.snapshot`, `restore.target`). Its root entries are the
 * target's, so restoring it into the same target puts back what the restore overwrote (files the
 * restore created are not in it and stay). When the backup fails, nothing is restored.
 */
export async function restoreUndoable(repo: Repository, snapshotRef: string, options: UndoableRestoreOptions): Promise<UndoableRestoreResult> {
  const { source, targetPath, skip, ...restoreOptions } = options;
  const entry = await findSnapshot(repo, snapshotRef);
  const root = source.resolve(targetPath);
  // An overwritten entry is replaced, and so is what stands where a hardlink goes (checked below: only
  // what exists is saved); so is a non-folder where the snapshot has a folder (the dry run says "create dir").
  const replaced = new Map<string, 'overwrite' | 'folder'>();
  await restore(repo, entry.id, {
    ...restoreOptions,
    dryRun: true,
    onAction: (action) => {
      // A second name of a hardlinked file replaces whatever is at its path, as an overwrite does.
      if (action.action === 'overwrite' || action.action === 'link') replaced.set(action.path, 'overwrite');
      else if (action.action === 'create' && action.type === 'dir') replaced.set(action.path, 'folder');
    },
  });
  const saved = new Set<string>();
  for (const [path, why] of replaced) {
    const stat = await lstatOrNull(source, source.join(root, path));
    if (stat !== null && (why === 'overwrite' || stat.type !== 'dir')) saved.add(path);
  }
  if (saved.size === 0) return { restore: await restore(repo, entry.id, restoreOptions), backup: null };

  // Back up the target's top-level entries that hold something replaced, leaving out everything else.
  const tops = [...new Set([...saved].map((path) => path.split('/')[0] ?? path))].sort();
  const holders = new Set<string>();
  for (const path of saved) for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) holders.add(path.slice(0, at));
  const left: string[] = [...(skip ?? [])];
  for (const top of tops) await collectSkips(source, source.join(root, top), top, { saved, holders }, left);
  const saving = await backup(repo, {
    source,
    paths: tops.map((top) => source.join(root, top)),
    skip: left,
    tags: [PRE_RESTORE_TAG],
    description: `what restoring ${shortId(entry.id)} into ${root} overwrote`,
    meta: { 'restore.snapshot': entry.id, 'restore.target': root },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (saving.partial) {
    const first = saving.warnings.find((w) => w.kind !== 'special');
    throw new CairnError('ERR_IO', `could not back up everything the restore would overwrite (${first?.message ?? 'files changed while read'}); nothing was restored`, {
      hint: `snapshot ${shortId(saving.id)} holds what could be read; run the restore again once the files are readable`,
    });
  }
  return { restore: await restore(repo, entry.id, restoreOptions), backup: saving };
}

/** Adds to `skip` every entry below `dir` (snapshot path `rel`; saved whole, or a folder holding saved paths) that neither is nor holds one. */
async function collectSkips(source: Source, dir: string, rel: string, paths: { saved: ReadonlySet<string>; holders: ReadonlySet<string> }, skip: string[]): Promise<void> {
  if (paths.saved.has(rel)) return; // saved whole
  for (const name of await source.readdir(dir)) {
    const childRel = `${rel}/${name}`;
    const child = source.join(dir, name);
    if (paths.holders.has(childRel)) await collectSkips(source, child, childRel, paths, skip);
    else if (!paths.saved.has(childRel)) skip.push(child);
  }
}

async function lstatOrNull(source: Source, path: string) {
  try {
    return await source.lstat(path);
  } catch (error) {
    if (error instanceof CairnError && error.code === 'ERR_NOT_FOUND') return null;
    throw error;
  }
}
