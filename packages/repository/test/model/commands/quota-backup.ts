/**
 * A backup into the repository with a size limit (a share of its current size) and a stored
 * retention policy, set with updateConfig just before and removed just after. The model drops
 * what the backup reports it forgot (BackupResult.quota.forgotten). After it: the new snapshot
 * is the newest of its host/paths group, or the backup said ERR_NO_SPACE and nothing it had
 * before is gone (the general invariants see to that: the model is left as it was).
 */
import { isCairnError } from '@cairn/core';
import { listSnapshots, snapshotKind } from '@cairn/repository';
import { repositorySize, updateConfig } from '@cairn/repository/maintenance';
import type { RetentionPolicy } from '@cairn/repository/maintenance';
import type fc from 'fast-check';
import { checkInvariants } from '../invariants.js';
import { advanceClock } from '../model-state.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import type { World } from '../world.js';
import { backupRoots, prepareRoots, recordBackup, rootsText } from './backup.js';
import type { RootsBackup } from './backup.js';
import { policyText } from './forget.js';

/** A quota backup: the limit as a percentage of the repository's size before it, and the stored policy. */
export interface QuotaParams extends RootsBackup {
  readonly limitPercent: number;
  readonly policy: RetentionPolicy | null;
}

/** A backup under a size limit with a stored retention policy. */
export class QuotaBackupCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: QuotaParams) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'quota-backup', this.toString());
    const { paths, entries } = await prepareRoots(world, this.p);
    const time = advanceClock(model, this.p.hours);
    const before = await world.open();
    const limit = Math.max(1024, Math.floor(((await repositorySize(before.backend)) * this.p.limitPercent) / 100));
    await updateConfig(before, { maxSize: { bytes: limit }, retention: this.p.policy });
    const problems: string[] = [];
    try {
      const result = await backupRoots(await world.open(), this.p, paths, time);
      for (const id of result.quota?.forgotten ?? []) {
        if (!model.snapshots.delete(id)) problems.push(`the quota reports forgetting ${id.slice(0, 12)}, which the model does not hold`);
      }
      problems.push(...(await recordBackup(model, world, label, result, { kind: 'tree', entries })));
      // The new snapshot is the newest of its group (pre-restore and protect snapshots aside).
      const group = (await listSnapshots(await world.open())).snapshots.filter(
        (e) => e.snapshot.hostname === result.snapshot.hostname && e.snapshot.paths.join('\0') === result.snapshot.paths.join('\0') && snapshotKind(e.snapshot) === 'backup',
      );
      const newest = group[group.length - 1];
      if (newest?.id !== result.id) problems.push(`after the quota backup the newest snapshot of its group is ${newest?.id.slice(0, 12) ?? 'none'}, not the new ${result.id.slice(0, 12)}`);
    } catch (error) {
      if (!isCairnError(error, 'ERR_NO_SPACE')) throw error;
      // Nothing the repository had may be gone: the model stays as it was, the invariants judge.
    } finally {
      const after = await world.open();
      await updateConfig(after, { maxSize: null, retention: null });
    }
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return `quota-backup limit ${this.p.limitPercent}% policy ${this.p.policy === null ? 'none' : policyText(this.p.policy)} ${rootsText(this.p)}`;
  }
}
