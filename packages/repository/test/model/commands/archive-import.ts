/**
 * An archive round trip: a snapshot the model holds as a tree is dumped as one archive
 * (dumpArchive: tar or zip) and imported back (openArchiveSource into backup(), what `cairn dump
 * --archive` and `cairn import` do) as a new snapshot of "/". The model expects a restore of it
 * to give the picked snapshot's tree: with its hardlinks from a tar, as copies from a zip (which
 * has none, nor fifos or devices).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup, dumpArchive } from '@cairn/repository';
import { openArchiveSource } from '@cairn/transport';
import type fc from 'fast-check';
import { checkInvariants } from '../invariants.js';
import { advanceClock } from '../model-state.js';
import type { Model, ModelSnapshot } from '../model-state.js';
import { begin } from '../settings.js';
import { withoutLinks } from '../tree-state.js';
import type { TreeState } from '../tree-state.js';
import type { World } from '../world.js';
import { recordBackup } from './backup.js';

/** Which snapshot, and in which format. */
export interface ArchiveImportParams {
  readonly pick: number;
  readonly format: 'tar' | 'zip';
  readonly hours: number;
}

function treeSnapshots(model: Model): ModelSnapshot[] {
  return [...model.snapshots.values()].filter((s) => s.expect.kind === 'tree' && !s.undo);
}

/** A dump of a snapshot as an archive, imported back. */
export class ArchiveImportCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: ArchiveImportParams) {}

  check(model: Readonly<Model>): boolean {
    return treeSnapshots(model as Model).length > 0;
  }

  async run(model: Model, world: World): Promise<void> {
    const candidates = treeSnapshots(model);
    const chosen = candidates[this.p.pick % candidates.length];
    if (chosen === undefined || chosen.expect.kind !== 'tree') return;
    const label = begin(model, 'archive-import', `${this.toString()}: ${chosen.id.slice(0, 12)} (${chosen.label})`);
    const repo = await world.open();
    const dir = await mkdtemp(join(tmpdir(), 'cairn-model-archive-'));
    const problems: string[] = [];
    try {
      const chunks: Uint8Array[] = [];
      for await (const chunk of dumpArchive(repo, chosen.id, [], { format: this.p.format })) chunks.push(Uint8Array.from(chunk));
      const file = join(dir, `dump.${this.p.format}`);
      await writeFile(file, Buffer.concat(chunks));
      // The snapshot's own absolute symlinks (to /etc/hostname) are content here, not an escape.
      const source = await openArchiveSource(file, { allowAbsoluteSymlinks: true });
      const time = advanceClock(model, this.p.hours);
      try {
        const result = await backup(repo, { source, paths: source.paths, time, hostname: 'archive' });
        if (result.snapshot.paths.join() !== '/') problems.push(`the imported snapshot's paths are ${result.snapshot.paths.join(' ')}, not /`);
        const entries: TreeState = this.p.format === 'tar'
          ? chosen.expect.entries
          : new Map([...chosen.expect.entries].filter(([, entry]) => entry !== 'special').map(([path, entry]) => [path, withoutLinks(entry) ?? entry]));
        problems.push(...(await recordBackup(model, world, label, result, { kind: 'tree', entries })));
      } finally {
        await source.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return `archive-import ${this.p.format} pick ${this.p.pick} +${this.p.hours}h`;
  }
}
