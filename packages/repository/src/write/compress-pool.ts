import { codecFromCode } from '@cairn/core';
import type { CodecName, Id } from '@cairn/core';
import type { EncodedBlob, ZstdCodec } from '@cairn/pack';
import type { Piscina } from 'piscina';
import { createWorkInFlight, defaultThreads, startWorkerPool, workerFailed, workerModule } from '../repo/worker-pool.js';
import type { WorkerModule } from '../repo/worker-pool.js';
import { encodeBatch, META_FIELDS } from './compress-task.js';
import type { CompressResult, CompressTask, GroupLimits } from './compress-task.js';

/** A blob waiting for compression. */
interface Queued {
  readonly id: Id;
  readonly hex: string;
  readonly plain: Uint8Array;
}

/** What the pool does with each encoded blob (in the main thread). */
export type StoreEncoded = (id: Id, hex: string, blob: EncodedBlob) => Promise<void>;

/** One blob of a group the pool made: its id, hex and place in the group's plaintext. */
export interface PooledMember {
  readonly id: Id;
  readonly hex: string;
  readonly at: number;
  readonly rawLength: number;
}

/** What the pool does with each group of small blobs (one frame of `groupRaw` plaintext bytes). */
export type StoreGroup = (frame: Uint8Array, groupRaw: number, members: readonly PooledMember[]) => Promise<void>;

/** Options of createCompressPool. */
export interface CompressPoolOptions {
  readonly codec: CodecName;
  readonly level: number;
  /** The main thread's codec, used when the work is too small to be worth starting threads. */
  readonly zstd: ZstdCodec;
  /** Worker threads; 0 compresses in the main thread. Default: the number of CPUs. */
  readonly threads?: number;
  readonly store: StoreEncoded;
  /** Small blobs that follow each other in a batch are compressed as groups (see GroupLimits) and given here. */
  readonly group?: { readonly limits: GroupLimits; readonly store: StoreGroup };
  /** True when `store` copies what it is given (so batch buffers may be reused once stored). */
  readonly recycle?: boolean;
  /** The worker's module and its thread's flags; default: the compiled worker beside this file (repo/worker-pool.ts: workerModule). */
  readonly worker?: WorkerModule;
}

/**
 * Compresses new data blobs in worker threads while the main thread goes on walking, reading
 * and hashing. Blobs are copied back to back into a batch buffer of BATCH_BYTES (or one blob's
 * size when larger), which is transferred, not copied, to a worker, compressed there in place
 * and transferred back; at most BATCHES_IN_FLIGHT batches for each thread and for one more are
 * queued or being compressed, and the buffers that come back are reused (no more bytes of them
 * than may be in flight), so memory stays flat whatever the size of the backup and no fresh megabytes are asked of the
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
  /** Bytes of the batch buffers kept for reuse now (at most as many as may be in flight). */
  readonly spareBytes: number;
}

/**
 * A batch's bytes. 2 MiB rather than 4 took 10-25 MB off a first backup's peak RSS on 2 cores at
 * the same CPU time, and stored 0.004% more (groups end at a batch's end): benchmarks/BENCHMARKS.md,
 * issue 15.
 */
const BATCH_BYTES = 2 * 1024 * 1024;
/**
 * Batches queued or being compressed at most, for each thread and for one more: while the threads
 * work through a run of large files, the walk goes on into the small files after it, whose
 * reading and hashing keep the main thread busy while the threads would be short of work. Two
 * (12 MiB on 2 cores) rather than one: a first backup of /usr/share 7% faster for ~9 MB of peak
 * RSS (benchmarks/BENCHMARKS.md, issue 15).
 */
const BATCHES_IN_FLIGHT = 2;
const BATCH_BLOBS = 2048;

/** Takes from `spares` a buffer of at least `bytes`, if one is there. */
function takeSpare(spares: ArrayBuffer[], bytes: number): ArrayBuffer | undefined {
  const at = spares.findIndex((spare) => spare.byteLength >= bytes);
  return at < 0 ? undefined : spares.splice(at, 1)[0];
}

/**
 * Keeps `buffer` among the spares while they hold at most `maxBytes` in all; past it, it takes
 * the place of the smallest if it is larger and that keeps them within `maxBytes` (so a blob
 * larger than a batch soon finds a buffer it fits), else it is let go. Bytes, not buffers, are
 * bounded: a backup of large chunks (up to 8 MiB each) would otherwise keep one per batch in
 * flight, 48 MiB (benchmarks/BENCHMARKS.md, issue 15).
 */
function keepSpare(spares: ArrayBuffer[], buffer: ArrayBuffer, maxBytes: number): void {
  const held = spareBytes(spares);
  if (held + buffer.byteLength <= maxBytes) {
    spares.push(buffer);
    return;
  }
  let smallest = 0;
  spares.forEach((spare, i) => {
    if (spare.byteLength < (spares[smallest]?.byteLength ?? 0)) smallest = i;
  });
  const replaced = spares[smallest]?.byteLength ?? 0;
  if (spares.length > 0 && replaced < buffer.byteLength && held - replaced + buffer.byteLength <= maxBytes) spares[smallest] = buffer;
}

function spareBytes(spares: readonly ArrayBuffer[]): number {
  return spares.reduce((sum, spare) => sum + spare.byteLength, 0);
}

/** Creates a CompressPool; threads start with the first full batch, not before. */
export function createCompressPool(options: CompressPoolOptions): CompressPool {
  const threads = options.threads ?? defaultThreads();
  /** Bytes of the batches queued or being compressed, at most (BATCHES_IN_FLIGHT). */
  const maxInFlight = (Math.max(1, threads) + 1) * BATCHES_IN_FLIGHT * BATCH_BYTES;
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

  /** Stores the blobs of an encoded batch in order: each alone, or a group's members together. */
  const storeResult = async (queued: readonly Queued[], spans: Uint32Array, result: CompressResult): Promise<void> => {
    // The blobs' lengths come from `spans`: their views of the batch buffer are detached once it went to a worker.
    const input = new Uint8Array(result.input);
    const meta = result.meta;
    for (let i = 0; i < queued.length; i++) {
      const m = i * META_FIELDS;
      const [offset, length, code] = [meta[m] ?? 0, meta[m + 1] ?? 0, meta[m + 2] ?? 0];
      const codec = codecFromCode(code);
      if (codec === undefined) throw new Error(`compression worker answered codec code ${code}`);
      const frame = input.subarray(offset, offset + length);
      if (codec === 'group') {
        const members: PooledMember[] = [];
        const groupRaw = meta[m + 4] ?? 0;
        let j = i;
        for (; j < queued.length && meta[j * META_FIELDS + 2] === code && meta[j * META_FIELDS] === offset; j += 1) {
          const blob = queued[j]!;
          members.push({ id: blob.id, hex: blob.hex, at: meta[j * META_FIELDS + 3] ?? 0, rawLength: spans[j * 2 + 1] ?? 0 });
        }
        if (options.group === undefined) throw new Error('compression worker answered a group, unasked');
        await options.group.store(frame, groupRaw, members);
        i = j - 1;
      } else {
        const blob = queued[i]!;
        await options.store(blob.id, blob.hex, { codec, data: frame, rawLength: spans[i * 2 + 1] ?? 0, base: undefined });
      }
    }
  };

  /** The spans of `queued` in their batch buffer. */
  const spansOf = (queued: readonly Queued[]): Uint32Array => {
    const spans = new Uint32Array(queued.length * 2);
    queued.forEach((blob, i) => {
      spans[i * 2] = blob.plain.byteOffset;
      spans[i * 2 + 1] = blob.plain.length;
    });
    return spans;
  };

  const taskOf = (queued: readonly Queued[], buffer: ArrayBuffer): CompressTask => ({
    buffer,
    spans: spansOf(queued),
    codec: options.codec,
    level: options.level,
    ...(options.group === undefined ? {} : { group: options.group.limits }),
  });

  /** Encodes a batch in this thread (in its own buffer), as a worker would. */
  const inline = async (queued: readonly Queued[], buffer: ArrayBuffer): Promise<void> => {
    if (queued.length === 0) return;
    const task = taskOf(queued, buffer);
    await storeResult(queued, task.spans, encodeBatch(task, options.zstd));
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
      track(inline(queued, buffer), bytes);
      return;
    }
    pool ??= startPool();
    const task = taskOf(queued, buffer);
    const run = pool.run(task, { transferList: [buffer] }) as Promise<CompressResult>;
    const work = run.catch((error: unknown) => {
      throw workerFailed('compression', worker, error);
    }).then((result) => storeResult(queued, task.spans, result).then(() => {
      if (options.recycle === true) keepSpare(spareArenas, result.input, maxInFlight); // as many bytes as may be in flight
    }));
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
        const buffer = arena.buffer;
        batch = [];
        batchBytes = 0;
        arena = new Uint8Array(0);
        track(inline(queued, buffer), bytes);
      } else {
        dispatch();
      }
      await inFlight.drain();
    },
    get buffersAllocated() {
      return buffersAllocated;
    },
    get spareBytes() {
      return spareBytes(spareArenas);
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
