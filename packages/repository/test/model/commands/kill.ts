/**
 * kill -9 of a backup (of a root, after edits) or a prune with no grace, each in a process of its
 * own (engine-process.ts, run from source), at a random moment. A backup that finished, or that was killed after writing its snapshot file, adds that
 * snapshot to the model (the root did not change while it ran); a killed prune changes nothing
 * the model knows. The invariants then hold the repository to the model as after any command.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { listSnapshots } from '@cairn/repository';
import type fc from 'fast-check';
import { checkInvariants } from '../invariants.js';
import { addSnapshot, advanceClock } from '../model-state.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import type { World } from '../world.js';
import { startEngine } from '../../lifecycle-helpers.js';
import { prepareRoots, rootsText } from './backup.js';
import type { RootsBackup } from './backup.js';

/** What to kill, and after how many ms. */
export interface KillParams {
  readonly what: 'backup' | 'prune';
  readonly delayMs: number;
  /** The backup to run (for `what: 'backup'`). */
  readonly backup: RootsBackup;
}

/** An engine process killed with SIGKILL. */
export class KillCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: KillParams) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, `kill-${this.p.what}`, this.toString());
    const problems: string[] = [];
    if (this.p.what === 'prune') {
      const run = startEngine({ op: 'prune', repo: world.repoPath, ...world.passwordOption });
      await sleep(this.p.delayMs);
      run.child.kill('SIGKILL');
      const result = await run.done;
      if (result.signal !== 'SIGKILL' && result.code !== 0) problems.push(`the prune exited with ${result.code}: ${result.stderr.trim()}`);
    } else {
      const b = this.p.backup;
      const { paths, entries } = await prepareRoots(world, b);
      const time = advanceClock(model, b.hours);
      const run = startEngine({ op: 'backup', repo: world.repoPath, ...world.passwordOption, paths, tags: b.tags, time: time.toISOString(), ...(b.host === 1 ? { hostname: 'other-host' } : {}) });
      await sleep(this.p.delayMs);
      run.child.kill('SIGKILL');
      const result = await run.done;
      if (result.signal !== 'SIGKILL' && result.code !== 0) problems.push(`the backup exited with ${result.code}: ${result.stderr.trim()}`);
      // Finished, or killed after its snapshot file was written: that snapshot holds the root as it is.
      const made = (await listSnapshots(await world.open())).snapshots.filter((e) => !model.snapshots.has(e.id));
      if (made.length > 1) problems.push(`one killed backup left ${made.length} new snapshots`);
      if (result.code === 0 && made.length === 0) problems.push('the backup exited 0, but no new snapshot is listed');
      const entry = made[0];
      if (made.length === 1 && entry !== undefined) {
        const s = entry.snapshot;
        addSnapshot(model, { id: entry.id, label, hostname: s.hostname, paths: s.paths, time: model.clock, tags: s.tags, undo: false, expect: { kind: 'tree', entries } });
      }
    }
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return this.p.what === 'prune' ? `kill -9 prune after ${this.p.delayMs}ms` : `kill -9 backup after ${this.p.delayMs}ms: ${rootsText(this.p.backup)}`;
  }
}
