/**
 * forget, by id or with a random retention policy (keep-last/hourly/daily/weekly/monthly/yearly,
 * keep-within, keep-tags; grouped by host and paths, by host, by everything, or with tags). The
 * model removes exactly what the engine reports removed. A policy that keeps a snapshot count or
 * a time span keeps the newest backup of every group: a pre-restore snapshot, which holds only
 * what a restore overwrote, never takes its place (issue item 4), nor does a protect snapshot of
 * the same paths (issue 17).
 */
import { PRE_RESTORE_TAG } from '@cairn/repository';
import { isCairnError } from '@cairn/core';
import { forget, isEmptyPolicy } from '@cairn/repository/maintenance';
import type { GroupKey, RetentionPolicy } from '@cairn/repository/maintenance';
import type fc from 'fast-check';
import { checkInvariants } from '../invariants.js';
import { describeSnapshot } from '../model-state.js';
import type { Model, ModelSnapshot } from '../model-state.js';
import { begin } from '../settings.js';
import type { World } from '../world.js';

/** What a forget does: the snapshots at these indexes (modulo the model's count), or a policy. */
export type ForgetParams =
  | { readonly by: 'ids'; readonly picks: readonly number[] }
  | { readonly by: 'policy'; readonly policy: RetentionPolicy; readonly groupBy: readonly GroupKey[] };

/** "last 2, daily 1, within 3d, tags keep" */
export function policyText(policy: RetentionPolicy): string {
  const parts = Object.entries(policy).map(([key, value]) => {
    if (key === 'within') return `within ${JSON.stringify(value)}`;
    if (key === 'tags') return `tags ${JSON.stringify(value)}`;
    return `${key} ${String(value)}`;
  });
  return parts.length === 0 ? '(empty)' : parts.join(', ');
}

function keepsNewest(policy: RetentionPolicy): boolean {
  return ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'].some((key) => (policy[key as keyof RetentionPolicy] as number | undefined ?? 0) > 0) || policy.within !== undefined;
}

/** The newest snapshot that is not a pre-restore or protect one, of every group as forget groups them. */
function newestBackups(snapshots: readonly ModelSnapshot[], groupBy: readonly GroupKey[]): ModelSnapshot[] {
  const newest = new Map<string, ModelSnapshot>();
  for (const s of snapshots) {
    if (s.undo || s.protect === true || s.tags.includes(PRE_RESTORE_TAG)) continue;
    const key = JSON.stringify([
      groupBy.includes('host') ? s.hostname : null,
      groupBy.includes('paths') ? [...s.paths].sort() : null,
      groupBy.includes('tags') ? [...s.tags].sort() : null,
    ]);
    const held = newest.get(key);
    if (held === undefined || s.time > held.time) newest.set(key, s);
  }
  return [...newest.values()];
}

/** A forget. */
export class ForgetCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: ForgetParams) {}

  check(model: Readonly<Model>): boolean {
    return model.snapshots.size > 0;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, `forget-${this.p.by}`, this.toString());
    const repo = await world.open();
    const before = [...model.snapshots.values()];
    const problems: string[] = [];
    let removed: readonly string[] = [];
    if (this.p.by === 'ids') {
      const ids = [...new Set(this.p.picks.map((i) => before[i % before.length]?.id ?? ''))];
      removed = (await forget(repo, { snapshots: ids })).removed;
      if ([...removed].sort().join() !== [...ids].sort().join()) problems.push(`forget of ${ids.join(' ')} reports removing ${removed.join(' ')}`);
    } else {
      try {
        removed = (await forget(repo, { policy: this.p.policy, groupBy: this.p.groupBy, timeZone: 'utc', now: new Date(model.clock) })).removed;
      } catch (error) {
        // A policy that keeps none of a group's snapshots is refused (ERR_USAGE, "keeps none of
        // the N snapshots"), and so is an empty policy (ERR_USAGE: it would forget every
        // snapshot); either way nothing is removed (the invariants compare the repository's
        // snapshots with the model's, which keeps them all).
        const refusedEmpty = isEmptyPolicy(this.p.policy) && isCairnError(error, 'ERR_USAGE');
        const refusedGroup = isCairnError(error, 'ERR_USAGE') && /the policy keeps none of the \d+ snapshots/.test(error.message);
        if (!(error instanceof RangeError) && !refusedEmpty && !refusedGroup) throw error;
      }
      if (isEmptyPolicy(this.p.policy) && removed.length > 0) problems.push(`forget with an empty policy removed ${removed.length} snapshot(s) instead of refusing`);
      if (keepsNewest(this.p.policy)) {
        for (const s of newestBackups(before, this.p.groupBy)) {
          if (removed.includes(s.id)) problems.push(`forget removed ${describeSnapshot(s)}, the newest backup of its group, though the policy keeps the newest (a pre-restore snapshot took its place?)`);
        }
      }
    }
    for (const id of removed) if (!model.snapshots.delete(id)) problems.push(`forget reports removing ${id.slice(0, 12)}, which the model does not hold`);
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return this.p.by === 'ids' ? `forget ids #${this.p.picks.join(',#')}` : `forget policy ${policyText(this.p.policy)} group-by ${this.p.groupBy.join(',') || '(none)'}`;
  }
}
