import { CairnError, isCairnError } from '@cairn/core';
import { matchIdPrefix } from '../repo/prefix.js';
import { applyPolicy, describePolicy, groupSnapshots, isEmptyPolicy } from './retention.js';
import type { GroupKey, RetentionPolicy, SnapshotGroup } from './retention.js';
import { isEmptyFilter, listSnapshots, matchesFilter } from '../repo/snapshots.js';
import type { SnapshotEntry, SnapshotFilter } from '../repo/snapshots.js';
import type { RepositoryFiles } from '../repo/repository.js';

/** Options of forget(): a policy, or the snapshots to forget by id; the filter (hosts, paths, tags) narrows what a policy considers. */
export interface ForgetOptions extends SnapshotFilter {
  /** Keep what this policy keeps in each group, forget the rest. */
  readonly policy?: RetentionPolicy;
  /** Forget exactly these snapshots (full ids or unique prefixes) instead of applying a policy. */
  readonly snapshots?: readonly string[];
  /** What groups the snapshots before the policy applies (default host and paths; [] for one group). */
  readonly groupBy?: readonly GroupKey[];
  /** Allow an empty policy (with a host, tag or path filter) or a policy that keeps no snapshot of a group. */
  readonly allowRemoveAll?: boolean;
  /** Decide, but remove nothing. */
  readonly dryRun?: boolean;
  readonly timeZone?: 'local' | 'utc';
  /** The current time, for `within` (default: now). */
  readonly now?: Date;
}

/** One group: what the policy keeps (and why) and what it forgets. */
export interface ForgetGroup {
  readonly key: SnapshotGroup['key'];
  readonly keep: { readonly entry: SnapshotEntry; readonly reasons: readonly string[] }[];
  readonly remove: SnapshotEntry[];
}

/** What forget() did (or, with dryRun, would do). */
export interface ForgetResult {
  /** The policy in words, or "forget the snapshots named". */
  readonly policy: string;
  readonly groups: ForgetGroup[];
  /** Ids of the snapshot files removed (none with dryRun). */
  readonly removed: string[];
  readonly dryRun: boolean;
}

/**
 * Forgets snapshots: removes their snapshot files, nothing else (`prune` removes the data
 * no snapshot uses any more). With a policy, snapshots are grouped (host and paths by
 * default) and each group keeps what the policy keeps; an empty policy is refused, and so
 * is a policy that would forget every snapshot of a group, unless allowRemoveAll says so.
 */
export async function forget(repo: RepositoryFiles, options: ForgetOptions): Promise<ForgetResult> {
  const named = options.snapshots ?? [];
  if (named.length > 0 && options.policy !== undefined && !isEmptyPolicy(options.policy)) {
    throw new CairnError('ERR_USAGE', 'give either snapshot ids or a --keep-* policy, not both');
  }
  const { snapshots } = await listSnapshots(repo);
  const selected = snapshots.filter((entry) => matchesFilter(entry.snapshot, options));
  let result: Omit<ForgetResult, 'removed' | 'dryRun'>;
  if (named.length > 0) {
    const chosen = named.map((ref) => matchIdPrefix(snapshots, (entry) => entry.id, ref, 'snapshot', 'list them with `cairn snapshots`'));
    const unique = [...new Map(chosen.map((entry) => [entry.id, entry])).values()];
    result = { policy: 'forget the snapshots named', groups: [{ key: {}, keep: [], remove: unique }] };
  } else {
    result = applyToGroups(selected, options);
  }
  const removed = options.dryRun === true ? [] : await removeSnapshotFiles(repo, result.groups.flatMap((group) => group.remove.map((entry) => entry.id)));
  return { ...result, removed, dryRun: options.dryRun === true };
}

/**
 * Removes the snapshot files of these ids (full ids, already chosen), one after another; a file
 * already gone counts as removed. Returns the ids removed. forget() and protect's retention call it.
 */
export async function removeSnapshotFiles(repo: RepositoryFiles, ids: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const id of ids) {
    try {
      await repo.backend.remove('snapshot', id);
    } catch (error) {
      if (!isCairnError(error, 'ERR_NOT_FOUND')) throw error;
    }
    removed.push(id);
  }
  return removed;
}

function applyToGroups(selected: readonly SnapshotEntry[], options: ForgetOptions): Omit<ForgetResult, 'removed' | 'dryRun'> {
  const policy = options.policy ?? {};
  const filtered = !isEmptyFilter(options);
  if (isEmptyPolicy(policy)) {
    if (options.allowRemoveAll !== true) {
      throw new CairnError('ERR_USAGE', 'no policy given (every --keep-* is zero or missing): refusing to forget every snapshot; name what to keep, e.g. --keep-last 1');
    }
    if (!filtered) {
      throw new CairnError('ERR_USAGE', 'removing every snapshot needs a filter: add --host, --tag or --path to say which snapshots go');
    }
    return { policy: 'forget every snapshot selected', groups: [{ key: {}, keep: [], remove: [...selected].reverse() }] };
  }
  const groups = groupSnapshots(selected, options.groupBy ?? ['host', 'paths']).map((group): ForgetGroup => {
    const { keep, remove } = applyPolicy(group.entries, policy, {
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    if (keep.length === 0 && options.allowRemoveAll !== true) {
      throw new CairnError('ERR_USAGE', `the policy keeps none of the ${remove.length} snapshots of ${groupText(group.key)}: refusing to forget them all (add --unsafe-allow-remove-all to do it anyway)`);
    }
    return { key: group.key, keep, remove };
  });
  return { policy: describePolicy(policy), groups };
}

/** "host laptop, paths /home/ana" for messages. */
export function groupText(key: SnapshotGroup['key']): string {
  const parts: string[] = [];
  if (key.hostname !== undefined) parts.push(`host ${key.hostname || '(none)'}`);
  if (key.paths !== undefined) parts.push(`paths ${key.paths.join(' ') || '(none)'}`);
  if (key.tags !== undefined) parts.push(`tags ${key.tags.join(',') || '(none)'}`);
  if (key.kind !== undefined) parts.push(`${key.kind} snapshots`);
  return parts.length === 0 ? 'all snapshots' : parts.join(', ');
}
