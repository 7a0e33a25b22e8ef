import { CairnError } from '@cairn/core';
import type { Piscina } from 'piscina';
import { packFileName } from '../repo/names.js';
import { createWorkInFlight, startWorkerPool } from '../repo/worker-pool.js';
import { decodeTask, decodeWorker } from '../repo/decode-task.js';
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
  /**
   * A buffer of the decoder's to read `bytes` stored bytes into (FileHint.into), or undefined
   * when the read is larger than its reads are. A read made into it goes to the worker and comes
   * back with the result, to be handed out again: no buffer per read waits for a collection.
   * One not used for the read is given back with giveBack.
   */
  readBuffer(bytes: number): Uint8Array | undefined;
  /** A buffer of readBuffer that the read did not use. */
  giveBack(buffer: Uint8Array): void;
  /** Buffers readBuffer has made so far (at most one per read in flight at once; the rest are reused). */
  readonly readBuffersMade: number;
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
  /** Bytes of each buffer readBuffer hands out (reads made into them are reused); 0 or absent: none. */
  readonly readBytes?: number;
  /** Buffers of readBuffer kept for reuse while none is in use (more are made when more reads are in flight). */
  readonly spareReads?: number;
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
  const readBytes = options.readBytes ?? 0;
  // The read buffers not in use, and every one handed out (a read into one is transferred whole, and comes back).
  const spare: ArrayBuffer[] = [];
  const ours = new WeakSet<ArrayBuffer>();
  let readBuffersMade = 0;
  // (A buffer that comes back from the worker is a new ArrayBuffer object over the same memory: it is ours by where it comes from.)
  const giveBack = (buffer: ArrayBuffer): void => {
    if (buffer.byteLength === readBytes && spare.length < (options.spareReads ?? 4)) spare.push(buffer);
  };
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
      // The whole buffer goes to the worker: one of readBuffer's as it is (the blobs' offsets are
      // shifted by where the read lies in it), and back; any other view (of a pooled buffer, say) is copied first.
      const reused = bytes.buffer instanceof ArrayBuffer && ours.has(bytes.buffer);
      const own = reused || (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) ? bytes : bytes.slice();
      const shift = reused ? bytes.byteOffset : 0;
      const table = new Uint32Array(step.blobs.length * 4);
      const ids = new Uint8Array(step.blobs.length * 32);
      let groups: Uint32Array | undefined;
      step.blobs.forEach((b, i) => {
        if (blobs.codec(b) === 'group') {
          groups ??= new Uint32Array(step.blobs.length * 2);
          groups[i * 2] = blobs.groupAt(b);
          groups[i * 2 + 1] = blobs.groupRaw(b);
        }
        table[i * 4] = blobs.offset(b) - step.offset + shift;
        table[i * 4 + 1] = blobs.length(b);
        table[i * 4 + 2] = blobs.rawLength(b);
        table[i * 4 + 3] = blobs.codecCode(b);
        ids.set(blobs.id(b), i * 32);
      });
      const task = decodeTask(own.buffer as ArrayBuffer, table, ids, packFileName(step.packId), {
        macKey: options.macKey,
        bases: bases === undefined || bases.size === 0 ? undefined : baseTable(step, bases),
        groups,
        output: region === undefined ? undefined : { buffer: arena!.buffer, offset: region.start },
        returnInput: reused,
      });
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
      if (result.input !== undefined) giveBack(result.input);
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
    get readBuffersMade() {
      return readBuffersMade;
    },
    readBuffer(bytes) {
      if (bytes > readBytes) return undefined;
      let buffer = spare.pop();
      if (buffer === undefined) {
        buffer = new ArrayBuffer(readBytes);
        readBuffersMade += 1;
      }
      ours.add(buffer);
      return new Uint8Array(buffer);
    },
    giveBack(buffer) {
      if (buffer.buffer instanceof ArrayBuffer && ours.has(buffer.buffer)) giveBack(buffer.buffer);
    },
    release,
    async close() {
      await inFlight.settle();
      await pool.destroy();
    },
  };
}
