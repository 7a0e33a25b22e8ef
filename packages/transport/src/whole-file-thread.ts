import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CairnError, workerModule } from '@cairn/core';
import type { EntryMetadata, WholeFile } from '@cairn/core';

/** One file of a batch: its full path, its bytes as a range of a buffer (shared, or the batch's own), its metadata. */
export interface ThreadFile {
  readonly final: string;
  readonly buffer: ArrayBufferLike;
  readonly offset: number;
  readonly length: number;
  readonly metadata: EntryMetadata | undefined;
  readonly fresh: boolean;
}

/** A batch of files the worker writes in order. */
export interface ThreadBatch {
  readonly id: number;
  readonly files: readonly ThreadFile[];
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
      const files: ThreadFile[] = jobs.map(({ final, file }) => {
        const { data, metadata, fresh } = file;
        if (data.buffer instanceof SharedArrayBuffer) return { final, buffer: data.buffer, offset: data.byteOffset, length: data.byteLength, metadata, fresh };
        own.set(data, at);
        at += data.byteLength;
        return { final, buffer: own.buffer, offset: at - data.byteLength, length: data.byteLength, metadata, fresh };
      });
      if (idle !== undefined) clearTimeout(idle);
      idle = undefined;
      worker ??= start();
      const thread = worker;
      const id = nextId++;
      const replied = new Promise<readonly (ThreadError | undefined)[]>((resolve, reject) => pending.set(id, { resolve, reject }));
      thread.ref();
      const batch: ThreadBatch = { id, files };
      try {
        thread.postMessage(batch, [own.buffer]);
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
