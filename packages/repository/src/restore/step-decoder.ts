import { CairnError } from '@cairn/core';
import type { Piscina } from 'piscina';
import { packFileName } from '../repo/names.js';
import { createWorkInFlight, startWorkerPool, workerModule } from '../repo/worker-pool.js';
import type { WorkerModule } from '../repo/worker-pool.js';
import type { DecodeResult, DecodeTask } from './decode-task.js';
import type { NeededBlobs } from './needed-blobs.js';
import type { ReadStep, StepData } from './read-steps.js';

/** Decodes and verifies the blobs of a restore's reads in worker threads, while the main thread writes files. */
export interface StepDecoder {
  /** The plaintexts of `step`'s blobs from `bytes`, its stored range (copied when it is a view of a larger buffer, else transferred). */
  decode(bytes: Uint8Array, step: ReadStep, blobs: NeededBlobs): Promise<StepData>;
  /** Stops the threads (once the reads are done). */
  close(): Promise<void>;
}

/** Options of createStepDecoder. */
export interface StepDecoderOptions {
  readonly threads: number;
  /** The MAC key of an encrypted repository's ids (ContentIds.macKey); undefined: SHA-256. */
  readonly macKey: Uint8Array | undefined;
  /** The worker's module; default: decode-worker beside this file. */
  readonly worker?: WorkerModule;
}

/** Creates a StepDecoder of `threads` worker threads (started at once). */
export function createStepDecoder(options: StepDecoderOptions): StepDecoder {
  const worker = options.worker ?? workerModule(import.meta.url, 'decode-worker');
  const inFlight = createWorkInFlight();
  const pool: Piscina = startWorkerPool('restore decode', worker, options.threads, (error) => inFlight.fail(error));
  return {
    async decode(bytes, step, blobs) {
      inFlight.rethrow();
      // The whole buffer goes to the worker: a view (of a pooled buffer, say) is copied first.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
      const table = new Uint32Array(step.blobs.length * 4);
      const ids = new Uint8Array(step.blobs.length * 32);
      step.blobs.forEach((b, i) => {
        table[i * 4] = blobs.offset(b) - step.offset;
        table[i * 4 + 1] = blobs.length(b);
        table[i * 4 + 2] = blobs.rawLength(b);
        table[i * 4 + 3] = blobs.codecCode(b);
        ids.set(blobs.id(b), i * 32);
      });
      const task: DecodeTask = { buffer: own.buffer as ArrayBuffer, blobs: table, ids, packFile: packFileName(step.packId), ...(options.macKey === undefined ? {} : { macKey: options.macKey }) };
      const work = pool.run(task, { transferList: [task.buffer] }) as Promise<DecodeResult>;
      inFlight.track(work, 0);
      let result: DecodeResult;
      try {
        result = await work;
      } catch (error) {
        inFlight.rethrow(); // a worker that could not start or died: its own error
        throw error;
      }
      const data: StepData = new Map();
      const failed = new Map(result.failures.map((failure) => [failure.blob, failure]));
      let start = 0;
      step.blobs.forEach((b, i) => {
        const end = result.ends[i]!;
        const failure = failed.get(i);
        data.set(b, failure === undefined
          ? new Uint8Array(result.buffer, start, end - start)
          : new CairnError(failure.code as CairnError['code'], failure.message, failure.hint === undefined ? {} : { hint: failure.hint }));
        start = end;
      });
      return data;
    },
    async close() {
      await inFlight.settle();
      await pool.destroy();
    },
  };
}
