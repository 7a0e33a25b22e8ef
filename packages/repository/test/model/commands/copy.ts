/**
 * copy: snapshots out of the run's repository into a second one (plain, or encrypted under its
 * own key, so ids are alike or differ depending on the run), and back in. Copying out, every
 * copied snapshot must restore from the second repository as the model says, and the run's
 * repository must not change. Copying back in, a snapshot the repository still holds (same
 * time, host, paths and tree, retagged or not) is skipped and named; one that a forget removed
 * comes back (under its old id when ids are alike) and the model holds it again, with what a
 * restore of it must give. Between two plain repositories packs whose every blob is wanted are
 * copied as they are: only then, and the second repository's deltas keep their bases.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { copySnapshots, initRepository, listSnapshots, openRepository } from '@cairn/repository';
import type { CopyResult, Repository } from '@cairn/repository';
import { createLocalBackend } from '@cairn/transport';
import type fc from 'fast-check';
import { SMALL } from '../../lifecycle-helpers.js';
import { checkInvariants, deltaChainProblems } from '../invariants.js';
import { addSnapshot, describeSnapshot } from '../model-state.js';
import type { Model, ModelSnapshot } from '../model-state.js';
import { restoreMismatch } from '../restore-check.js';
import { begin, COUNTS } from '../settings.js';
import type { World } from '../world.js';

/** A copy command. */
export interface CopyParams {
  /** The second repository: plain, or encrypted with a key of its own. */
  readonly side: 'plain' | 'encrypted';
  /** `out`: the snapshots at these indexes into the second repository; `in`: all of its snapshots back. */
  readonly direction: 'out' | 'in';
  readonly picks: readonly number[];
}

const SIDE_PASSWORD = 'side password';
/** What each snapshot of a second repository must restore to (by world, then by its id there). */
const sideRecords = new WeakMap<World, Map<string, ModelSnapshot>>();

/** The second repository of this run (made on first use) and what its snapshots are. */
async function openSide(world: World, side: CopyParams['side']): Promise<{ repo: Repository; records: Map<string, ModelSnapshot> }> {
  const path = join(world.work, `side-${side}`);
  const options = side === 'encrypted' ? { password: SIDE_PASSWORD, kdf: { N: 1024, r: 8, p: 1 } } : {};
  const exists = await access(join(path, 'config')).then(() => true, () => false);
  const repo = exists
    ? await openRepository(createLocalBackend(path), side === 'encrypted' ? { password: async () => SIDE_PASSWORD } : {})
    : await initRepository(createLocalBackend(path), { ...SMALL, ...options });
  let byWorld = sideRecords.get(world);
  if (byWorld === undefined) sideRecords.set(world, (byWorld = new Map()));
  return { repo, records: byWorld };
}

/**
 * Pack files are copied as they are only between two unencrypted repositories (both made with
 * the same chunker parameters here), and each such pack is one of the packs added.
 */
function packRuleProblems(result: CopyResult, bothPlain: boolean): string[] {
  COUNTS.packsCopiedWhole += result.packsCopiedWhole;
  if (!bothPlain && result.packsCopiedWhole > 0) return [`copy took ${result.packsCopiedWhole} pack files as they are, though a repository is encrypted`];
  if (result.packsCopiedWhole > result.packsAdded) return [`copy reports ${result.packsCopiedWhole} packs copied as they are but only ${result.packsAdded} added`];
  return [];
}

/** A copy out of the run's repository, or back into it. */
export class CopyCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: CopyParams) {}

  check(model: Readonly<Model>): boolean {
    return this.p.direction === 'in' || model.snapshots.size > 0;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'copy', this.toString());
    const problems: string[] = [];
    const side = await openSide(world, this.p.side);
    // Records are per world and side: keyed by the side's name too.
    const key = (id: string): string => `${this.p.side}:${id}`;
    if (this.p.direction === 'out') {
      const all = [...model.snapshots.values()];
      const chosen = [...new Map(this.p.picks.map((i) => all[i % all.length]!).map((s) => [s.id, s])).values()];
      const result = await copySnapshots(await world.open(), side.repo, { snapshots: chosen.map((s) => s.id), threads: 0 });
      if (result.failed.length > 0) problems.push(`copy out failed for ${result.failed.map((f) => f.message).join('; ')}`);
      problems.push(...packRuleProblems(result, world.password === undefined && this.p.side === 'plain'));
      // Packs copied as they are bring their index entries: the second repository's deltas keep their bases.
      for (const p of deltaChainProblems(await openSide(world, this.p.side).then((s) => s.repo))) problems.push(`in the ${this.p.side} repository after copy out: ${p}`);
      const byId = new Map(chosen.map((s) => [s.id, s]));
      for (const c of [...result.copied, ...result.skipped]) {
        const s = byId.get(c.source);
        if (s === undefined) {
          problems.push(`copy out reports snapshot ${c.source.slice(0, 12)}, which it was not asked for`);
          continue;
        }
        if (!side.records.has(key(c.destination))) side.records.set(key(c.destination), s);
      }
      if (result.copied.length + result.skipped.length !== chosen.length) problems.push(`copy out was asked for ${chosen.length} snapshots and reports ${result.copied.length + result.skipped.length}`);
      const there = new Set((await listSnapshots(side.repo)).snapshots.map((e) => e.id));
      for (const c of result.copied) {
        const s = side.records.get(key(c.destination))!;
        if (!there.has(c.destination)) problems.push(`the copy of ${describeSnapshot(s)} is not in the second repository`);
        const lines = await restoreMismatch(side.repo, world, { ...s, id: c.destination });
        if (lines.length > 0) problems.push(`the copy of ${describeSnapshot(s)} does not restore as it was backed up:\n      ${lines.join('\n      ')}`);
      }
    } else {
      const result = await copySnapshots(side.repo, await world.open(), { threads: 0 });
      if (result.failed.length > 0) problems.push(`copy in failed for ${result.failed.map((f) => f.message).join('; ')}`);
      problems.push(...packRuleProblems(result, world.password === undefined && this.p.side === 'plain'));
      for (const c of result.skipped) {
        if (!model.snapshots.has(c.destination)) problems.push(`copy in skipped ${c.source.slice(0, 12)} as held by ${c.destination.slice(0, 12)}, which the model does not hold`);
      }
      for (const c of result.copied) {
        const s = side.records.get(key(c.source));
        if (s === undefined) {
          problems.push(`copy in copied ${c.source.slice(0, 12)}, which no copy out put into the second repository`);
          continue;
        }
        if (model.snapshots.has(s.id)) problems.push(`copy in copied ${describeSnapshot(s)} again, though the repository still holds it`);
        addSnapshot(model, { ...s, id: c.destination, label: `${s.label}, copied back ${label}` });
      }
    }
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return this.p.direction === 'out' ? `copy #${this.p.picks.join(',#')} out to a ${this.p.side} repository` : `copy in from the ${this.p.side} repository`;
  }
}
