import { CairnError } from '@cairn/core';
import type { Piscina } from 'piscina';
import { packFileName } from '../repo/names.js';
import { createWorkInFlight, startWorkerPool } from '../repo/worker-pool.js';
import { decodeWorker } from '../repo/decode-task.js';
import type { DecodeResult, DecodeTask } from '../repo/decode-task.js';
import type { WorkerModule } from '../repo/worker-pool.js';
import { DecodeArena } from '../repo/decode-arena.js';
import type { ArenaRegion } from '../repo/decode-arena.js';
import type { NeededBlobs } from './needed-blobs.js';
import type { ReadStep, StepData } from './read-steps.js';

/** Decodes and verifies the blobs of a restore's reads in worker threads, while the main thread writes files. */
export interface StepDecoder {
  /**
   * The plaintexts of `step`'s blobs from `bytes`, its stored range (copied when it is a view of
   * a larger buffer, else transferred). They may lie in the decoder's arena: valid until
   * release(step), not to be kept after it.
   */
  decode(bytes: Uint8Array, step: ReadStep, blobs: NeededBlobs, bases?: ReadonlyMap<number, Uint8Array | CairnError>): Promise<StepData>;
  /** The writes of `step` are done: the room its plaintexts took may be reused. */
  release(step: ReadStep): void;
  /** Stops the threads (once the reads are done). */
  close(): Promise<void>;
}

/** Options of createStepDecoder. */
export interface StepDecoderOptions {
  readonly threads: number;
  /** The MAC key of an encrypted repository's ids (ContentIds.macKey); undefined: SHA-256. */
  readonly macKey: Uint8Array | undefined;
  /** The worker's module; default: repo/decode-worker (decodeWorker). */
  readonly worker?: WorkerModule;
  /** Bytes of the shared arena the plaintexts are written to (see DecodeArena); 0 or absent: none, a buffer per read. */
  readonly arenaBytes?: number;
}

/** The base plaintexts of a step's deltas, back to back in one buffer for the worker (a base that failed is left out: the blob fails with its error). */
function baseTable(step: ReadStep, bases: ReadonlyMap<number, Uint8Array | CairnError>): NonNullable<DecodeTask['bases']> {
  let total = 0;
  for (const base of bases.values()) if (!(base instanceof CairnError)) total += base.length;
  const buffer = new Uint8Array(total);
  const spans = new Float64Array(step.blobs.length * 2).fill(-1);
  let at = 0;
  step.blobs.forEach((b, i) => {
    const base = bases.get(b);
    if (base === undefined || base instanceof CairnError) return;
    buffer.set(base, at);
    spans[i * 2] = at;
    spans[i * 2 + 1] = base.length;
    at += base.length;
  });
  return { buffer: buffer.buffer, spans };
}

/** Creates a StepDecoder of `threads` worker threads (started at once). */
export function createStepDecoder(options: StepDecoderOptions): StepDecoder {
  const worker = options.worker ?? decodeWorker();
  const inFlight = createWorkInFlight();
  const pool: Piscina = startWorkerPool('restore decode', worker, options.threads, (error) => inFlight.fail(error));
  const arena = (options.arenaBytes ?? 0) > 0 ? new DecodeArena(options.arenaBytes!) : undefined;
  const regions = new Map<ReadStep, ArenaRegion>();
  const release = (step: ReadStep): void => {
    const region = regions.get(step);
    if (region === undefined) return;
    regions.delete(step);
    arena!.free(region);
  };
  return {
    async decode(bytes, step, blobs, bases) {
      inFlight.rethrow();
      let total = 0;
      for (const b of step.blobs) total += blobs.rawLength(b);
      // A read that finds no room in the arena (it is full, or the read is larger) gets a buffer of its own.
      const region = arena === undefined || total === 0 ? undefined : arena.take(total);
      if (region !== undefined) regions.set(step, region);
      // The whole buffer goes to the worker: a view (of a pooled buffer, say) is copied first.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
      const table = new Uint32Array(step.blobs.length * 4);
      const ids = new Uint8Array(step.blobs.length * 32);
      let groups: Uint32Array | undefined;
      step.blobs.forEach((b, i) => {
        if (blobs.codec(b) === 'group') {
          groups ??= new Uint32Array(step.blobs.length * 2);
          groups[i * 2] = blobs.groupAt(b);
          groups[i * 2 + 1] = blobs.groupRaw(b);
        }
        table[i * 4] = blobs.offset(b) - step.offset;
        table[i * 4 + 1] = blobs.length(b);
        table[i * 4 + 2] = blobs.rawLength(b);
        table[i * 4 + 3] = blobs.codecCode(b);
        ids.set(blobs.id(b), i * 32);
      });
      const task: DecodeTask = {
        buffer: own.buffer as ArrayBuffer,
        blobs: table,
        ids,
        ...(bases === undefined || bases.size === 0 ? {} : { bases: baseTable(step, bases) }),
        ...(groups === undefined ? {} : { groups }),
        packFile: packFileName(step.packId),
        ...(options.macKey === undefined ? {} : { macKey: options.macKey }),
        ...(region === undefined ? {} : { output: { buffer: arena!.buffer, offset: region.start } }),
      };
      const work = pool.run(task, { transferList: task.bases === undefined ? [task.buffer] : [task.buffer, task.bases.buffer] }) as Promise<DecodeResult>;
      inFlight.track(work, 0);
      let result: DecodeResult;
      try {
        result = await work;
      } catch (error) {
        release(step);
        inFlight.rethrow(); // a worker that could not start or died: its own error
        throw error;
      }
      blobs.groupsDecoded += result.groupsDecoded;
      const output = result.buffer ?? arena!.buffer;
      const base = result.buffer === undefined ? region!.start : 0;
      const data: StepData = new Map();
      const failed = new Map(result.failures.map((failure) => [failure.blob, failure]));
      let start = 0;
      step.blobs.forEach((b, i) => {
        const end = result.ends[i]!;
        const failure = failed.get(i);
        const lost = bases?.get(b);
        data.set(b, lost instanceof CairnError ? lost : failure === undefined
          ? new Uint8Array(output, base + start, end - start)
          : new CairnError(failure.code as CairnError['code'], failure.message, failure.hint === undefined ? {} : { hint: failure.hint }));
        start = end;
      });
      return data;
    },
    release,
    async close() {
      await inFlight.settle();
      await pool.destroy();
    },
  };
}
