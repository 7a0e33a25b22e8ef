import { CairnError } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { ZstdCodec } from '@cairn/pack';
import type { Piscina } from 'piscina';
import { createWorkInFlight, startWorkerPool, workerFailed, workerModule } from '../repo/worker-pool.js';
import type { WorkerModule } from '../repo/worker-pool.js';
import type { GrepLine, GrepPattern, LineOptions } from './grep-matcher.js';
import { searchBatch } from './grep-task.js';
import type { GrepTask, GrepTaskResult } from './grep-task.js';

/** Takes one blob of a content as stored (its codec as codecCode gives it); the bytes are copied before it returns. */
export type TakeBlob = (id: Id, stored: Uint8Array, rawLength: number, codec: number) => void;

/** What searching one content found, as the pool reports it. */
export interface PooledResult {
  readonly count: number;
  readonly bytes: number;
  /** CONTENT_BINARY | CONTENT_TOO_LONG. */
  readonly flags: number;
  readonly lines: GrepLine[] | undefined;
}

/** Options of createGrepPool. */
export interface GrepPoolOptions {
  readonly search: GrepPattern & LineOptions;
  /** Worker threads; 0 searches in the main thread. */
  readonly threads: number;
  /** The main thread's codec (threads 0). */
  readonly zstd: ZstdCodec;
  /** The MAC key of an encrypted repository's ids (ContentIds.macKey), sent with each batch; undefined: SHA-256. */
  readonly macKey?: Uint8Array | undefined;
  /** Called in the main thread with each content's result. */
  readonly onResult: (content: number, result: PooledResult) => void;
  /** Names a content in an error: a file holding it. */
  readonly describe: (content: number) => string;
  /** The worker's module; default: grep-worker beside this file (repo/worker-pool.ts: workerModule). */
  readonly worker?: WorkerModule;
}

/**
 * Decompresses, verifies and searches file contents in worker threads while the main thread
 * reads packs. Contents are copied as stored, back to back, into a batch buffer of GREP_BATCH_BYTES
 * (or one content's size when larger), transferred to a worker and back; only the counts and the
 * lines to print come back. At most MAX_IN_FLIGHT bytes are queued or being searched.
 */
export interface GrepPool {
  /** Queues the next blob of the content being added. */
  readonly blob: TakeBlob;
  /** Ends the content whose blobs were just queued; a promise to wait for when too much is in flight. */
  end(content: number): Promise<void> | undefined;
  /** Sends the open batch and waits for every result. */
  drain(): Promise<void>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** Stored bytes per batch. */
export const GREP_BATCH_BYTES = 1024 * 1024;
const BATCH_CONTENTS = 4096;
const MAX_IN_FLIGHT = 8 * 1024 * 1024;

/** Creates a GrepPool; threads start with the first batch. */
export function createGrepPool(options: GrepPoolOptions): GrepPool {
  const { threads } = options;
  const worker = options.worker ?? workerModule(import.meta.url, 'grep-worker');
  let pool: Piscina | null = null;
  let arena = new Uint8Array(0);
  let used = 0;
  let slots: number[] = [];
  let blobs: number[] = [];
  let ids: Id[] = [];
  let contents: number[] = [];
  let blobCount = 0;
  const spare: ArrayBuffer[] = [];
  const inFlight = createWorkInFlight();

  const take = (batch: readonly number[], result: GrepTaskResult): void => {
    const lines = new Map(result.lines);
    const done = result.failure === undefined ? batch.length : result.failure.content;
    for (let c = 0; c < done; c += 1) {
      options.onResult(batch[c] ?? 0, { count: result.counts[c * 3] ?? 0, bytes: result.counts[c * 3 + 1] ?? 0, flags: result.counts[c * 3 + 2] ?? 0, lines: lines.get(c) });
    }
    if (result.failure !== undefined) {
      const { code, message, hint } = result.failure;
      throw new CairnError(code as CairnError['code'], `${message} (${options.describe(batch[result.failure.content] ?? 0)})`, hint === undefined ? {} : { hint });
    }
    if (result.buffer.byteLength === GREP_BATCH_BYTES && spare.length < 2) spare.push(result.buffer);
  };

  const dispatch = (): void => {
    if (slots.length === 0) return;
    const batch = slots;
    const idBytes = new Uint8Array(ids.length * 32);
    ids.forEach((id, i) => idBytes.set(id, i * 32));
    const task: GrepTask = { buffer: arena.buffer, blobs: Uint32Array.from(blobs), ids: idBytes, contents: Uint32Array.from(contents), search: options.search, ...(options.macKey === undefined ? {} : { macKey: options.macKey }) };
    const bytes = arena.buffer.byteLength;
    arena = new Uint8Array(0);
    used = 0;
    slots = [];
    blobs = [];
    ids = [];
    contents = [];
    let work: Promise<void>;
    if (threads === 0) {
      work = Promise.resolve().then(() => take(batch, searchBatch(task, options.zstd)));
    } else {
      pool ??= startWorkerPool('grep', worker, threads, (error) => inFlight.fail(error));
      const run = pool.run(task, { transferList: [task.buffer] }) as Promise<GrepTaskResult>;
      work = run.then(
        (result) => take(batch, result),
        (error: unknown) => {
          throw workerFailed('grep', worker, error);
        },
      );
    }
    inFlight.track(work, bytes);
  };

  return {
    blob(id, stored, rawLength, codec) {
      if (arena.length === 0) arena = stored.length <= GREP_BATCH_BYTES ? new Uint8Array(spare.pop() ?? new ArrayBuffer(GREP_BATCH_BYTES)) : new Uint8Array(stored.length);
      if (used + stored.length > arena.length) {
        // The content being added outgrows the batch: a buffer of its own size (or the batch's blobs with it).
        const grown = new Uint8Array(Math.max(used + stored.length, GREP_BATCH_BYTES));
        grown.set(arena.subarray(0, used));
        arena = grown;
      }
      arena.set(stored, used);
      blobs.push(used, stored.length, rawLength, codec);
      ids.push(id);
      used += stored.length;
      blobCount += 1;
    },
    end(content) {
      inFlight.rethrow();
      slots.push(content);
      contents.push(blobCount);
      blobCount = 0;
      if (used >= GREP_BATCH_BYTES || slots.length >= BATCH_CONTENTS) dispatch();
      if (inFlight.bytes + used <= MAX_IN_FLIGHT || inFlight.count === 0) return undefined;
      return inFlight.waitBelow(MAX_IN_FLIGHT, used);
    },
    async drain() {
      dispatch();
      await inFlight.drain();
    },
    async close() {
      slots = [];
      await inFlight.settle();
      const closing = pool;
      pool = null;
      if (closing !== null) await closing.destroy();
    },
  };
}
