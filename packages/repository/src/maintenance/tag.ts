import { CairnError, isCairnError } from '@cairn/core';
import type { LockTimings } from '../locks/lock-files.js';
import { acquireExclusiveLock } from '../locks/locks.js';
import { KIND_TAGS, saveSnapshot, selectSnapshots, snapshotKind } from '../repo/snapshots.js';
import type { SnapshotEntry, SnapshotFilter } from '../repo/snapshots.js';
import type { RepositoryFiles } from '../repo/repository.js';

/** How to change the tags: `set` replaces them all (and excludes `add` / `remove`); `add`, then `remove`. */
export interface TagChanges {
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
  readonly set?: readonly string[];
}

/** Options of tagSnapshots(). */
export interface TagOptions extends TagChanges {
  /** The snapshots to tag: full ids, unique prefixes or `latest`; none: every snapshot that passes `filter`. */
  readonly snapshots?: readonly string[];
  /** Narrows the snapshots (restic's --host, --path, --tag); a snapshot named by id must pass it too. */
  readonly filter?: SnapshotFilter;
  /** Decide, but write and remove nothing. */
  readonly dryRun?: boolean;
  /** Lock timings (tests shorten them). */
  readonly lockTimings?: Partial<LockTimings>;
}

/** One snapshot rewritten: its old id (removed), its new id, and its tags now. */
export interface TagRewrite {
  readonly oldId: string;
  /** null in a dry run (the new file is not written). */
  readonly newId: string | null;
  readonly tags: readonly string[];
}

/** What tagSnapshots() did (or, with dryRun, would do). */
export interface TagResult {
  readonly rewritten: TagRewrite[];
  /** Snapshots selected whose tags the changes leave as they are: left alone (same id). */
  readonly unchanged: string[];
  readonly dryRun: boolean;
}

/**
 * The tags of `tags` after `changes`: `set` replaces them (duplicates dropped), else `add`
 * appends the tags not there yet and `remove` drops its tags. RangeError for an empty tag or
 * for `set` together with `add` / `remove`.
 */
export function changeTags(tags: readonly string[], changes: TagChanges): string[] {
  const { add = [], remove = [], set } = changes;
  for (const tag of [...add, ...remove, ...(set ?? [])]) {
    if (typeof tag !== 'string' || tag === '') throw new RangeError(`a tag must be a non-empty string, not ${JSON.stringify(tag)}`);
  }
  if (set !== undefined && (add.length > 0 || remove.length > 0)) throw new RangeError('set the tags, or add and remove them, not both');
  if (set !== undefined) return [...new Set(set)];
  return [...new Set([...tags, ...add])].filter((tag) => !remove.includes(tag));
}

/**
 * Changes the tags of snapshots (restic's `tag`). A snapshot's id is the hash of its file, so each
 * snapshot whose tags change is rewritten: the new file is written first and the old one removed
 * only after, so at every moment one of them names the data (a crash between leaves both, the
 * same data twice; an error after some rewrites names them). Snapshots whose tags stay the same
 * are left alone. Holds the exclusive lock (no prune reads the snapshot list meanwhile). Refused
 * before anything changes (ERR_USAGE): no change asked for; a change that would add or remove the
 * pre-restore or protect tag, which say a snapshot holds only what a restore overwrote or a tool protected (see snapshotKind);
 * ERR_NOT_FOUND for a snapshot not there.
 */
export async function tagSnapshots(repo: RepositoryFiles, options: TagOptions): Promise<TagResult> {
  const changes: TagChanges = { ...(options.add === undefined ? {} : { add: options.add }), ...(options.remove === undefined ? {} : { remove: options.remove }), ...(options.set === undefined ? {} : { set: options.set }) };
  if (changes.set === undefined && (changes.add ?? []).length === 0 && (changes.remove ?? []).length === 0) {
    throw new CairnError('ERR_USAGE', 'no tag change given: say what to --add, --remove or --set');
  }
  changeTags([], changes); // bad tags are refused before the lock is taken
  const dryRun = options.dryRun === true;
  const lock = dryRun ? null : await acquireExclusiveLock(repo.backend, 'tag', options.lockTimings === undefined ? {} : { timings: options.lockTimings });
  try {
    const selected = await selectSnapshots(repo, options.snapshots ?? [], options.filter);
    const plan = selected.map((entry) => ({ entry, tags: changeTags(entry.snapshot.tags, changes) }));
    for (const { entry, tags } of plan) {
      for (const kindTag of KIND_TAGS) {
        const was = entry.snapshot.tags.includes(kindTag);
        if (was === tags.includes(kindTag)) continue;
        const kind = snapshotKind(entry.snapshot);
        const what = kind === 'pre-restore' ? 'holds only what a restore overwrote' : kind === 'protect' ? 'holds only what a tool protected before changing it' : 'is a backup';
        throw new CairnError('ERR_USAGE', `snapshot ${entry.id.slice(0, 8)} ${what}: the ${kindTag} tag says so, and tag does not ${was ? 'remove' : 'add'} it`, {
          hint: `leave ${kindTag} out of the change, or narrow the snapshots with --tag`,
        });
      }
    }
    const rewritten: TagRewrite[] = [];
    const unchanged: string[] = [];
    for (const { entry, tags } of plan) {
      if (sameSet(tags, entry.snapshot.tags)) {
        unchanged.push(entry.id);
        continue;
      }
      try {
        rewritten.push({ oldId: entry.id, newId: dryRun ? null : await rewrite(repo, entry, tags), tags });
      } catch (error) {
        if (rewritten.length === 0 || !isCairnError(error)) throw error;
        // Say what is already done: those snapshots have their new ids now.
        const done = rewritten.map((r) => `${r.oldId.slice(0, 8)} -> ${(r.newId ?? '').slice(0, 8)}`).join(', ');
        throw new CairnError(error.code, `${error.message} (tag stopped at snapshot ${entry.id.slice(0, 8)}, after rewriting ${done})`, { ...(error.hint === undefined ? {} : { hint: error.hint }), cause: error });
      }
    }
    return { rewritten, unchanged, dryRun };
  } finally {
    await lock?.release();
  }
}

/** Writes the snapshot with its new tags, then removes the old file; returns the new id. */
async function rewrite(repo: RepositoryFiles, entry: SnapshotEntry, tags: readonly string[]): Promise<string> {
  const newId = await saveSnapshot(repo, { ...entry.snapshot, tags: [...tags] });
  if (newId === entry.id) return newId;
  try {
    await repo.backend.remove('snapshot', entry.id);
  } catch (error) {
    if (!isCairnError(error, 'ERR_NOT_FOUND')) throw error;
  }
  return newId;
}


function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(b);
  return a.length === set.size && a.every((tag) => set.has(tag));
}
