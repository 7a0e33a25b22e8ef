/** The exit code of a process that a second Ctrl-C ended at once (128 + SIGINT, as a shell reports it). */
const EXIT_INTERRUPTED = 130;

/**
 * Runs a long command with Ctrl-C (or SIGTERM) turned into an abort: the first one fires the
 * signal `run` gets, and the engine stops at its next safe point with ERR_ABORTED (one line,
 * exit 1: nothing half-done is left); a second one ends the process at once. Every long command
 * (backup, restore, prune, check) runs through here.
 */
export async function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const interrupt = (): void => {
    if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED);
    stop.abort();
  };
  process.on('SIGINT', interrupt).on('SIGTERM', interrupt);
  try {
    return await run(stop.signal);
  } finally {
    process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
  }
}
