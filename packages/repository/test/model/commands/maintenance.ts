/**
 * Maintenance that must not change what any snapshot holds: prune (grace 0 or the default hour,
 * a random share of unused space allowed) and repair index (sometimes after deleting every index
 * file, so it rebuilds the index from the packs alone).
 */
import { repairIndex } from '@cairn/repository';
import { prune } from '@cairn/repository/maintenance';
import type fc from 'fast-check';
import { checkInvariants } from '../invariants.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import type { World } from '../world.js';

/** A prune. */
export class PruneCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: { readonly graceZero: boolean; readonly maxUnused: number }) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'prune', this.toString());
    await prune(await world.open(), { maxUnused: this.p.maxUnused, ...(this.p.graceZero ? { graceMs: 0 } : {}) });
    await checkInvariants(model, world, label);
  }

  toString(): string {
    return `prune grace ${this.p.graceZero ? '0' : 'default'} max-unused ${this.p.maxUnused}`;
  }
}

/** A repair of the index. */
export class RepairIndexCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: { readonly dropIndex: boolean }) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'repair-index', this.toString());
    if (this.p.dropIndex) {
      const { backend } = await world.open();
      const names: string[] = [];
      for await (const file of backend.list('index')) names.push(file.name);
      for (const name of names) await backend.remove('index', name);
    }
    const result = await repairIndex(await world.open());
    const problems = result.damaged.map((d) => `repair index found ${d.file} damaged: ${d.message}`);
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return `repair-index${this.p.dropIndex ? ' after deleting every index file' : ''}`;
  }
}
