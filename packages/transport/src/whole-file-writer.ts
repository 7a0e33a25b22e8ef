import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CairnError, workerModule } from '@cairn/core';
import type { EntryMetadata, WorkerModule } from '@cairn/core';

/** One batch for the writer's thread: the files' bytes back to back in one transferred buffer. */
export interface WholeFileBatch {
  readonly id: number;
  readonly buffer: ArrayBuffer;
  readonly files: readonly { readonly final: string; readonly start: number; readonly length: number; readonly fresh: boolean; readonly metadata: EntryMetadata | undefined }[];
}

/** A file of a batch that was not written: node's error, as the thread saw it. */
export interface WholeFileFailure {
  readonly index: number;
  readonly code: string | undefined;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  readonly message: string;
}

/** What the thread did with a batch: how many files it tried (it stops after a full target), and which failed. */
interface WholeFileAnswer {
  readonly id: number;
  readonly done: number;
  readonly failures: WholeFileFailure[];
}

/** A file to write, at its full path. */
export interface PathedFile {
  readonly final: string;
  readonly data: Uint8Array;
  readonly fresh: boolean;
  readonly metadata: EntryMetadata | undefined;
}

/** Writes batches of whole files in a thread of its own, so the system calls run beside the restore's other work. */
export interface WholeFileWriter {
  /** Per file tried, in order: undefined, or node's error (an Error with code, errno and syscall); fewer when it stopped early. */
  write(files: readonly PathedFile[]): Promise<(Error | undefined)[]>;
}

/**
 * Whether a target that wrote `filesSoFar` whole files should hand the next ones to a thread:
 * only with more than one CPU, and only once the restore is large enough to pay for starting one.
 */
export function wantsWriterThread(filesSoFar: number): boolean {
  return filesSoFar >= WRITER_THREAD_FROM && availableParallelism() > 1;
}

/** Files a target writes itself before it starts its writer thread. */
export const WRITER_THREAD_FROM = 2000;

/** Starts the writer's thread (it keeps the process alive only while a batch is out). */
export function createWholeFileWriter(worker: WorkerModule = workerModule(import.meta.url, 'whole-file-worker')): WholeFileWriter {
  const thread = new Worker(new URL(worker.filename), { execArgv: [...worker.execArgv] });
  thread.unref();
  let nextId = 0;
  let failure: CairnError | undefined;
  const waiting = new Map<number, { resolve: (answer: WholeFileAnswer) => void; reject: (error: unknown) => void }>();
  const fail = (error: unknown): void => {
    failure ??= new CairnError('ERR_IO', `the file writer thread ${worker.filename} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    for (const { reject } of waiting.values()) reject(failure);
    waiting.clear();
    thread.unref();
  };
  thread.on('message', (answer: WholeFileAnswer) => {
    const entry = waiting.get(answer.id);
    waiting.delete(answer.id);
    if (waiting.size === 0) thread.unref();
    entry?.resolve(answer);
  });
  thread.on('error', fail);
  thread.on('exit', (code) => fail(new Error(`it exited with code ${code}`)));
  return {
    async write(files) {
      if (failure !== undefined) throw failure;
      let total = 0;
      for (const file of files) total += file.data.byteLength;
      const bytes = new Uint8Array(new ArrayBuffer(total));
      let at = 0;
      const batch: WholeFileBatch = {
        id: (nextId += 1),
        buffer: bytes.buffer,
        files: files.map((file) => {
          bytes.set(file.data, at);
          at += file.data.byteLength;
          return { final: file.final, start: at - file.data.byteLength, length: file.data.byteLength, fresh: file.fresh, metadata: file.metadata };
        }),
      };
      const answer = await new Promise<WholeFileAnswer>((resolve, reject) => {
        waiting.set(batch.id, { resolve, reject });
        thread.ref();
        thread.postMessage(batch, [batch.buffer]);
      });
      const results: (Error | undefined)[] = new Array<Error | undefined>(answer.done).fill(undefined);
      for (const { index, code, errno, syscall, message } of answer.failures) results[index] = Object.assign(new Error(message), { code, errno, syscall });
      return results;
    },
  };
}
