import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CairnError, lazyModule } from '@cairn/core';
import type { WorkerModule } from '@cairn/core';
import type { Piscina } from 'piscina';

/** piscina, loaded when the first pool starts (a no-op backup or a listing starts none). */
const piscina = lazyModule<typeof import('piscina')>(import.meta.url, 'piscina');

export { workerModule } from '@cairn/core';
export type { WorkerModule } from '@cairn/core';

/** Worker threads a pool starts by default: one per CPU the process may use. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/** The error a pool reports when its worker cannot start or dies: ERR_IO naming the worker. */
export function workerFailed(role: string, worker: WorkerModule, error: unknown): CairnError {
  return new CairnError('ERR_IO', `the ${role} worker ${worker.filename} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * The CommonJS module every pool thread starts; it import()s the pool's worker module. Beside this
 * module in src/ and dist/ (the build copies it) and beside the CLI's bundle; pool-worker.cjs says
 * why piscina must not load an ES module itself.
 */
const POOL_ENTRY = fileURLToPath(new URL('./pool-worker.cjs', import.meta.url));

/**
 * Starts `threads` threads of `worker` (kept for a minute when idle). A worker that cannot start
 * or dies calls `onError` once with workerFailed's error and the pool is destroyed, so the work
 * queued fails instead of waiting; a worker module that cannot be loaded fails each task given to it.
 */
export function startWorkerPool(role: string, worker: WorkerModule, threads: number, onError: (error: CairnError) => void): Piscina {
  const started = new (piscina().Piscina)({ filename: POOL_ENTRY, workerData: { module: worker.filename }, execArgv: [...worker.execArgv], minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  started.on('error', (error: unknown) => {
    onError(workerFailed(role, worker, error));
    void started.destroy();
  });
  return started;
}

/** Work handed to a worker pool and not done yet: the bytes it holds, its first failure, and waits on it. */
export interface WorkInFlight {
  /** Bytes held by the work not yet settled. */
  readonly bytes: number;
  /** Pieces of work not yet settled. */
  readonly count: number;
  /** Counts `work` and its bytes until it settles; its failure, if the first, is kept. */
  track(work: Promise<unknown>, bytes: number): void;
  /** Keeps `error` if no failure was kept yet (a worker that could not start). */
  fail(error: unknown): void;
  /** Throws the first failure kept, if any. */
  rethrow(): void;
  /** Waits while more than `limit` bytes would be held with `extra` more, as long as work runs; then rethrows. */
  waitBelow(limit: number, extra: number): Promise<void>;
  /** Waits until all work has settled; then rethrows. */
  drain(): Promise<void>;
  /** Waits until all work has settled, throwing nothing (closing). */
  settle(): Promise<void>;
}

/** Creates the in-flight account a pool keeps (back-pressure, the first failure). */
export function createWorkInFlight(): WorkInFlight {
  let bytes = 0;
  let failure: unknown = null;
  const running = new Set<Promise<void>>();
  const rethrow = (): void => {
    if (failure !== null) throw failure;
  };
  return {
    get bytes() {
      return bytes;
    },
    get count() {
      return running.size;
    },
    track(work, size) {
      bytes += size;
      const tracked = work.then(
        () => undefined,
        (error: unknown) => {
          failure ??= error;
        },
      ).finally(() => {
        bytes -= size;
        running.delete(tracked);
      });
      running.add(tracked);
    },
    fail(error) {
      failure ??= error;
    },
    rethrow,
    async waitBelow(limit, extra) {
      while (bytes + extra > limit && running.size > 0) await Promise.race(running);
      rethrow();
    },
    async drain() {
      while (running.size > 0) await Promise.race(running);
      rethrow();
    },
    async settle() {
      await Promise.allSettled([...running]);
    },
  };
}
