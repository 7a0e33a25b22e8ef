import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CairnError, workerModule } from '@cairn/core';
import type { WholeFile } from '@cairn/core';

/** Numbers per file in a ThreadBatch: its buffer (an index into buffers), offset, length, mode (-1: no metadata), uid, gid, fresh (1 or 0). */
export const THREAD_FIELDS = 7;

/**
 * A batch of files the worker writes in order, as a few flat values (cloning an object per file,
 * with its path and metadata, cost the main thread more than the worker's writes of them).
 */
export interface ThreadBatch {
  readonly id: number;
  /** The files' full paths, each followed by a NUL (no path holds one). */
  readonly paths: string;
  /** The buffers the files' bytes are in: shared ones (a decode thread's arena), or the batch's own. */
  readonly buffers: readonly ArrayBufferLike[];
  /** THREAD_FIELDS numbers per file. */
  readonly numbers: Float64Array;
  /** Per file, its mtime in nanoseconds (0n without metadata). */
  readonly mtimes: BigInt64Array;
}

/** Node's error for a file, as it crosses to the main thread. */
export interface ThreadError {
  readonly message: string;
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly path?: string;
}

/** The worker's answer to a batch: per file, in order, undefined (written) or its error; it stops after an error that ends writing. */
export interface ThreadReply {
  readonly id: number;
  readonly results: readonly (ThreadError | undefined)[];
}

/** A file for the thread: its full path below the target and the file. */
export interface ThreadJob {
  readonly final: string;
  readonly file: WholeFile;
}

/**
 * A worker thread that writes whole files (writeWholeFileSync, seven system calls each) for a local
 * target, so a restore's many small files are written beside the threads that read and decode
 * them instead of on the main thread, which plans, schedules and hands out the bytes. It starts
 * with the first batch, holds the process open only while a batch is out, and ends after a
 * second with nothing to write.
 */
export interface WholeFileThread {
  /** Writes `jobs` in order; per job, undefined or node's error (rebuilt: code, syscall, message); none after an error that ends writing. */
  write(jobs: readonly ThreadJob[]): Promise<unknown[]>;
}

/** How long the thread waits for more files before it ends, by default. */
const IDLE_MS = 1000;

/** Whole files a target writes on its own thread before it starts one: a small restore is over before a thread would be up. None on one CPU. */
export function defaultThreadFrom(): number {
  return availableParallelism() > 1 ? 256 : Number.POSITIVE_INFINITY;
}

/** Creates the thread's handle (the thread starts with the first batch); `idleMs`: how long it waits for more before it ends. */
export function createWholeFileThread(idleMs = IDLE_MS): WholeFileThread {
  const module = workerModule(import.meta.url, 'whole-file-worker');
  const pending = new Map<number, { resolve: (results: readonly (ThreadError | undefined)[]) => void; reject: (error: unknown) => void }>();
  let worker: Worker | undefined;
  let idle: NodeJS.Timeout | undefined;
  let nextId = 0;

  const failAll = (error: unknown): void => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };

  const start = (): Worker => {
    const started = new Worker(new URL(module.filename), { execArgv: [...module.execArgv] });
    started.on('message', (reply: ThreadReply) => {
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      waiting?.resolve(reply.results);
      if (pending.size === 0 && worker === started) rest(started);
    });
    // Only the current thread has batches out: one ended for idling (no longer `worker`) is let go.
    started.on('error', (error: unknown) => {
      if (worker !== started) return;
      worker = undefined;
      failAll(new CairnError('ERR_IO', `the whole-file writer thread ${module.filename} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    });
    started.on('exit', (code) => {
      if (worker !== started) return;
      worker = undefined;
      if (pending.size > 0) failAll(new CairnError('ERR_IO', `the whole-file writer thread ${module.filename} stopped (exit code ${code}) with files to write`));
    });
    return started;
  };

  /** Nothing out: the thread no longer holds the process open, and ends unless more comes soon. */
  const rest = (thread: Worker): void => {
    thread.unref();
    idle = setTimeout(() => {
      if (worker !== thread || pending.size > 0) return;
      worker = undefined;
      void thread.terminate();
    }, idleMs);
    idle.unref();
  };

  return {
    async write(jobs) {
      if (jobs.length === 0) return [];
      // Bytes in a shared buffer (the decode arena) are read there; others are copied into one buffer that moves to the thread.
      let copied = 0;
      for (const { file } of jobs) if (!(file.data.buffer instanceof SharedArrayBuffer)) copied += file.data.byteLength;
      const own = new Uint8Array(copied);
      let at = 0;
      const buffers: ArrayBufferLike[] = [own.buffer];
      const numbers = new Float64Array(jobs.length * THREAD_FIELDS);
      const mtimes = new BigInt64Array(jobs.length);
      let paths = '';
      for (let i = 0; i < jobs.length; i += 1) {
        const { final, file } = jobs[i]!;
        const { data, metadata, fresh } = file;
        let buffer = 0;
        let offset = at;
        if (data.buffer instanceof SharedArrayBuffer) {
          buffer = buffers.indexOf(data.buffer);
          if (buffer < 0) buffer = buffers.push(data.buffer) - 1;
          offset = data.byteOffset;
        } else {
          own.set(data, at);
          at += data.byteLength;
        }
        paths += `${final}\0`;
        const n = i * THREAD_FIELDS;
        numbers[n] = buffer;
        numbers[n + 1] = offset;
        numbers[n + 2] = data.byteLength;
        numbers[n + 3] = metadata === undefined ? -1 : metadata.mode;
        numbers[n + 4] = metadata?.uid ?? 0;
        numbers[n + 5] = metadata?.gid ?? 0;
        numbers[n + 6] = fresh ? 1 : 0;
        mtimes[i] = metadata?.mtimeNs ?? 0n;
      }
      if (idle !== undefined) clearTimeout(idle);
      idle = undefined;
      worker ??= start();
      const thread = worker;
      const id = nextId++;
      const replied = new Promise<readonly (ThreadError | undefined)[]>((resolve, reject) => pending.set(id, { resolve, reject }));
      thread.ref();
      const batch: ThreadBatch = { id, paths, buffers, numbers, mtimes };
      try {
        thread.postMessage(batch, [own.buffer, numbers.buffer, mtimes.buffer]);
      } catch (error) {
        // Not sent (a value that cannot cross to a thread): nothing waits for it.
        pending.delete(id);
        if (pending.size === 0) rest(thread);
        throw error;
      }
      const results = await replied;
      return results.map((result) => (result === undefined ? undefined : Object.assign(new Error(result.message), result)));
    },
  };
}
