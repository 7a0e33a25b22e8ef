/**
 * A dry run of a backup of source roots, then the real backup of the same roots: the dry run
 * leaves every repository file as it was (content, size, folder times: no lock, no lease), and
 * finds the parent, counts, files to store and root tree the real backup then makes. The real
 * backup goes into the model as a plain backup does.
 */
import { dryRunBackup } from '@cairn/repository';
import { createLocalSource } from '@cairn/transport';
import type fc from 'fast-check';
import { describeTree } from '../../helpers.js';
import { checkInvariants } from '../invariants.js';
import { advanceClock } from '../model-state.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import type { World } from '../world.js';
import { backupRoots, prepareRoots, recordBackup, rootsText } from './backup.js';
import type { RootsBackup } from './backup.js';

/** A dry run followed by the backup it stands for. */
export class DryRunCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: RootsBackup) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'dry-run', this.toString());
    const { paths, entries } = await prepareRoots(world, this.p);
    const time = advanceClock(model, this.p.hours);
    const problems: string[] = [];
    const before = await describeTree(world.repoPath);
    let listed = 0;
    const dry = await dryRunBackup(await world.open(), {
      source: createLocalSource(),
      paths,
      ...(this.p.host === 1 ? { hostname: 'other-host' } : {}),
      onEntry: (entry) => {
        if (entry.type === 'file' && (entry.status === 'new' || entry.status === 'changed')) listed += 1;
      },
    });
    const after = await describeTree(world.repoPath);
    for (const [path, what] of after) if (before.get(path) !== what) problems.push(`the dry run changed ${path}: ${before.get(path) ?? '(none)'} -> ${what}`);
    for (const path of before.keys()) if (!after.has(path)) problems.push(`the dry run removed ${path}`);

    const result = await backupRoots(await world.open(), this.p, paths, time);
    const real = result.snapshot;
    const parent = real.parent === null ? null : Buffer.from(real.parent).toString('hex');
    if (dry.parent !== parent) problems.push(`the dry run compared with ${dry.parent ?? 'no parent'}, the backup with ${parent ?? 'no parent'}`);
    if (dry.tree !== Buffer.from(real.tree).toString('hex')) problems.push(`the dry run's root tree ${dry.tree.slice(0, 12)} is not the backup's ${Buffer.from(real.tree).toString('hex').slice(0, 12)}`);
    for (const key of ['filesNew', 'filesChanged', 'filesUnchanged', 'dirs', 'symlinks', 'others', 'bytesRead', 'dataBlobsAdded', 'treeBlobsAdded'] as const) {
      if (dry.summary[key] !== real.summary[key]) problems.push(`${key}: the dry run says ${dry.summary[key]}, the backup made ${real.summary[key]}`);
    }
    if (listed !== real.summary.filesNew + real.summary.filesChanged) problems.push(`the dry run listed ${listed} files to store, the backup stored ${real.summary.filesNew + real.summary.filesChanged}`);
    problems.push(...(await recordBackup(model, world, label, result, { kind: 'tree', entries })));
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return `dry-run+backup ${rootsText(this.p)}`;
  }
}
