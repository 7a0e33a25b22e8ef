import { codecFromCode } from '@cairn/core';
import type { CodecName, Id } from '@cairn/core';
import { encodeBlob } from '@cairn/pack';
import type { EncodedBlob, ZstdCodec } from '@cairn/pack';
import type { Piscina } from 'piscina';
import { createWorkInFlight, defaultThreads, startWorkerPool, workerFailed, workerModule } from '../repo/worker-pool.js';
import type { WorkerModule } from '../repo/worker-pool.js';
import type { CompressResult, CompressTask } from './compress-task.js';

/** A blob waiting for compression. */
interface Queued {
  readonly id: Id;
  readonly hex: string;
  readonly plain: Uint8Array;
}

/** What the pool does with each encoded blob (in the main thread). */
export type StoreEncoded = (id: Id, hex: string, blob: EncodedBlob) => Promise<void>;

/** Options of createCompressPool. */
export interface CompressPoolOptions {
  readonly codec: CodecName;
  readonly level: number;
  /** The main thread's codec, used when the work is too small to be worth starting threads. */
  readonly zstd: ZstdCodec;
  /** Worker threads; 0 compresses in the main thread. Default: the number of CPUs. */
  readonly threads?: number;
  readonly store: StoreEncoded;
  /** True when `store` copies what it is given (so batch buffers may be reused once stored). */
  readonly recycle?: boolean;
  /** The worker's module and its thread's flags; default: the compiled worker beside this file (repo/worker-pool.ts: workerModule). */
  readonly worker?: WorkerModule;
}

/**
 * Compresses new data blobs in worker threads while the main thread goes on walking, reading
 * and hashing. Blobs are copied back to back into a batch buffer of BATCH_BYTES (or one blob's
 * size when larger), which is transferred, not copied, to a worker, compressed there in place
 * and transferred back; at most one batch per thread plus one more is queued or being
 * compressed, and the buffers that come back are reused (no more than may be in flight), so
 * memory stays flat whatever the size of the backup and no fresh megabytes are asked of the
 * allocator per batch.
 */
export interface CompressPool {
  /** Queues a blob; resolves once there is room for more (back-pressure). */
  add(id: Id, hex: string, plain: Uint8Array): Promise<void>;
  /** Sends the open batch and waits until every blob queued so far is stored. */
  drain(): Promise<void>;
  /** Stops the threads; queued blobs that were not stored are dropped. */
  close(): Promise<void>;
  /** Batch buffers allocated so far (the others were reused). */
  readonly buffersAllocated: number;
}

const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_BLOBS = 2048;

/** Takes from `spares` a buffer of at least `bytes`, if one is there. */
function takeSpare(spares: ArrayBuffer[], bytes: number): ArrayBuffer | undefined {
  const at = spares.findIndex((spare) => spare.byteLength >= bytes);
  return at < 0 ? undefined : spares.splice(at, 1)[0];
}

/**
 * Keeps `buffer` among at most `max` spares; when they are all there, it takes the place of the
 * smallest if it is larger (so a blob larger than a batch soon finds a buffer it fits).
 */
function keepSpare(spares: ArrayBuffer[], buffer: ArrayBuffer, max: number): void {
  if (spares.length < max) {
    spares.push(buffer);
    return;
  }
  let smallest = 0;
  spares.forEach((spare, i) => {
    if (spare.byteLength < (spares[smallest]?.byteLength ?? 0)) smallest = i;
  });
  if ((spares[smallest]?.byteLength ?? 0) < buffer.byteLength) spares[smallest] = buffer;
}

/** Creates a CompressPool; threads start with the first full batch, not before. */
export function createCompressPool(options: CompressPoolOptions): CompressPool {
  const threads = options.threads ?? defaultThreads();
  /** Batches queued or being compressed, at most: one per thread and one waiting for the first free thread. */
  const maxInFlight = (Math.max(1, threads) + 1) * BATCH_BYTES;
  /** Spare batch buffers kept: as many as may be in flight. */
  const maxSpares = Math.max(1, threads) + 1;
  let pool: Piscina | null = null;
  let batch: Queued[] = [];
  let batchBytes = 0;
  /** The open batch's blobs, back to back; copied in at `add`, so callers may reuse their buffers. */
  let arena = new Uint8Array(0);
  /** Batch buffers back from the workers, whose blobs the pack builders have copied: reused, not collected. */
  const spareArenas: ArrayBuffer[] = [];
  const inFlight = createWorkInFlight();
  let buffersAllocated = 0;

  const track = (work: Promise<void>, bytes: number): void => inFlight.track(work, bytes);

  const storeAll = async (queued: readonly Queued[], encode: (index: number) => EncodedBlob): Promise<void> => {
    for (let i = 0; i < queued.length; i++) {
      const blob = queued[i];
      if (blob !== undefined) await options.store(blob.id, blob.hex, encode(i));
    }
  };

  const inline = (queued: readonly Queued[]): Promise<void> => {
    const codec = options.codec === 'zstd' ? options.zstd : null;
    return storeAll(queued, (i) => encodeBlob(queued[i]?.plain ?? new Uint8Array(0), codec, options.level, { probe: true }));
  };

  /** The threads; a worker that cannot start fails the work queued (a backup stops with its error) instead of leaving it waiting. */
  const worker = options.worker ?? workerModule(import.meta.url, 'compress-worker');
  const startPool = (): Piscina =>
    startWorkerPool('compression', worker, threads, (error) => inFlight.fail(error));

  const dispatch = (): void => {
    const queued = batch;
    const bytes = batchBytes;
    const buffer = arena.buffer;
    /** Read before the transfer, which leaves `buffer` detached (0 bytes long) in this thread. */
    const held = buffer.byteLength;
    batch = [];
    batchBytes = 0;
    arena = new Uint8Array(0);
    if (queued.length === 0) return;
    if (threads === 0) {
      track(inline(queued), bytes);
      return;
    }
    pool ??= startPool();
    const spans = new Uint32Array(queued.length * 2);
    queued.forEach((blob, i) => {
      spans[i * 2] = blob.plain.byteOffset;
      spans[i * 2 + 1] = blob.plain.length;
    });
    const task: CompressTask = { buffer, spans, codec: options.codec, level: options.level };
    const run = pool.run(task, { transferList: [buffer] }) as Promise<CompressResult>;
    const work = run.catch((error: unknown) => {
      throw workerFailed('compression', worker, error);
    }).then((result) => {
      const input = new Uint8Array(result.input);
      return storeAll(queued, (i) => {
        const m = i * 3;
        const [offset, length, code] = [result.meta[m] ?? 0, result.meta[m + 1] ?? 0, result.meta[m + 2] ?? 0];
        const codec = codecFromCode(code);
        if (codec === undefined) throw new Error(`compression worker answered codec code ${code}`);
        return { codec, data: input.subarray(offset, offset + length), rawLength: spans[i * 2 + 1] ?? 0 };
      }).then(() => {
        if (options.recycle === true) keepSpare(spareArenas, result.input, maxSpares);
      });
    });
    track(work, held); // the whole batch buffer is held until the answer is stored
  };

  return {
    async add(id, hex, plain) {
      inFlight.rethrow();
      if (batchBytes + plain.length > arena.length && batch.length > 0) dispatch();
      if (arena.length === 0) {
        const spare = takeSpare(spareArenas, plain.length);
        if (spare === undefined) buffersAllocated += 1;
        arena = spare === undefined ? new Uint8Array(Math.max(BATCH_BYTES, plain.length)) : new Uint8Array(spare);
      }
      const copy = arena.subarray(batchBytes, batchBytes + plain.length);
      copy.set(plain);
      batch.push({ id, hex, plain: copy });
      batchBytes += plain.length;
      if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_BLOBS) dispatch();
      await inFlight.waitBelow(maxInFlight, batchBytes);
    },
    async drain() {
      // A last batch too small to be worth starting the threads for is compressed here.
      if (pool === null && threads > 0 && batchBytes < BATCH_BYTES) {
        const queued = batch;
        const bytes = batchBytes;
        batch = [];
        batchBytes = 0;
        arena = new Uint8Array(0);
        track(inline(queued), bytes);
      } else {
        dispatch();
      }
      await inFlight.drain();
    },
    get buffersAllocated() {
      return buffersAllocated;
    },
    async close() {
      batch = [];
      batchBytes = 0;
      arena = new Uint8Array(0);
      await inFlight.settle();
      const closing = pool;
      pool = null;
      if (closing !== null) await closing.destroy();
    },
  };
}
