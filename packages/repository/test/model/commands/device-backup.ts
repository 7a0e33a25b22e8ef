/**
 * A snapshot of a simulated MicroPython board (the WebAssembly port, in this process): its files
 * are edited (through the folder the board is seeded from), the board is started and backed up
 * whole through the device Source, host "board". The model records its files and folders.
 */
import { backup } from '@cairn/repository';
import { createDeviceSource, openDevice } from '@cairn/device';
import type fc from 'fast-check';
import { applyEdits, editText } from '../edits.js';
import type { Edit } from '../edits.js';
import { checkInvariants } from '../invariants.js';
import { advanceClock } from '../model-state.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import { describeTree } from '../tree-state.js';
import type { World } from '../world.js';
import { recordBackup } from './backup.js';

/** A backup of the simulated board. */
export class DeviceBackupCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: { readonly edits: readonly Edit[]; readonly hours: number }) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'device-backup', this.toString());
    await applyEdits(world.boardSeed, this.p.edits);
    const entries = await describeTree(world.boardSeed);
    const time = advanceClock(model, this.p.hours);
    const device = await openDevice({ port: 'sim', timeoutMs: 10_000, sim: { seed: world.boardSeed } });
    let problems: string[];
    try {
      const result = await backup(await world.open(), { source: createDeviceSource(device), paths: ['/'], hostname: 'board', threads: 0, time });
      problems = await recordBackup(model, world, label, result, { kind: 'board', entries });
    } finally {
      await device.close();
    }
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return `device-backup +${this.p.hours}h (${this.p.edits.map(editText).join('; ')})`;
  }
}
