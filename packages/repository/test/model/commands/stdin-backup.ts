/**
 * A backup of a stream (createStreamSource, what `cairn backup --stdin` reads): seeded bytes in
 * uneven pieces, stored as the one file `/<name>`. The same seed again stores the same bytes (the
 * previous stream snapshot of that name is its parent). The model expects a restore to give
 * exactly that one file.
 */
import { createHash } from 'node:crypto';
import { backup } from '@cairn/repository';
import { createStreamSource } from '@cairn/transport';
import type fc from 'fast-check';
import { seededBytes } from '../../helpers.js';
import { checkInvariants } from '../invariants.js';
import { advanceClock } from '../model-state.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import type { World } from '../world.js';
import { recordBackup } from './backup.js';

/** What a stream backup stores. */
export interface StdinParams {
  readonly name: 'stdin' | 'dump.sql';
  readonly size: number;
  readonly seed: number;
  readonly hours: number;
}

async function* pieces(data: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < data.length; i += 1) {
    const size = [4096, 1, 50_000, 777][i % 4] ?? 1;
    yield data.subarray(at, at + size);
    at += size;
  }
}

/** A backup of a stream. */
export class StdinBackupCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: StdinParams) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'stdin-backup', this.toString());
    const data = seededBytes(this.p.size, this.p.seed);
    const time = advanceClock(model, this.p.hours);
    const result = await backup(await world.open(), { source: createStreamSource(pieces(data), { name: this.p.name }), paths: [this.p.name], time });
    const problems: string[] = [];
    if (result.snapshot.paths.join() !== `/${this.p.name}`) problems.push(`the stream snapshot's paths are ${result.snapshot.paths.join(' ')}, not /${this.p.name}`);
    if (result.snapshot.summary.bytesRead !== data.length) problems.push(`the backup read ${result.snapshot.summary.bytesRead} bytes of a ${data.length}-byte stream`);
    const hash = createHash('sha256').update(data).digest('hex').slice(0, 16);
    problems.push(...(await recordBackup(model, world, label, result, { kind: 'tree', entries: new Map([[this.p.name, `file 644 ${data.length} ${hash}`]]) })));
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return `stdin-backup ${this.p.name} ${this.p.size} bytes seed ${this.p.seed} +${this.p.hours}h`;
  }
}
