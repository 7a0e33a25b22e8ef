/** Runs async tasks with a bounded number running at once. */
export interface TaskPool {
  /** Runs `task` once fewer than the limit are running; settles as it does. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** A TaskPool running at most `limit` tasks at once, in the order they were handed in. */
export function createTaskPool(limit: number): TaskPool {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`task pool limit must be a positive integer, got ${String(limit)}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(task) {
      if (running < limit) running += 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        // Hand the slot straight to the next waiting task, or give it back.
        const next = waiting.shift();
        if (next === undefined) running -= 1;
        else next();
      }
    },
  };
}
