import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The young generation's size at which it stops growing: two semi-spaces of 4 MiB. */
export const YOUNG_GENERATION_CAP = 8 * 1024 * 1024;

/** How often the young generation's size is looked at until it reaches the cap (5 µs a look). */
const POLL_MS = 10;

/**
 * Keeps the main thread's young generation (V8's new space) at YOUNG_GENERATION_CAP instead of
 * the 32 MiB it grows to, for the whole run. A no-op backup (a walk that compares, no new data)
 * then peaks ~20 MB lower at the same CPU, a backup of one 4 GiB file 30-70 MB lower, and a first
 * backup of /usr/share takes as long as without the cap (benchmarks/BENCHMARKS.md, issue 15;
 * when the walk still made a wire object per node, the cap had cost it 0.2-0.4 s of scavenges, and
 * was lifted as the compression threads started).
 *
 * Node 20 reads --max-semi-space-size only at start-up, but V8 reads --semi-space-growth-factor
 * at each scavenge: it stays 2 (V8's default) until the cap is reached, then 1. A new isolate (a
 * worker thread's) sets it back to 2 as it starts, so it is set to 1 again once the thread is
 * online; a scavenge of the main thread in between may still double the young generation once
 * (16 MiB, never the 32 it would reach).
 * The flag is the process's: only the CLI, which owns the process, calls this.
 */
export function capYoungGeneration(): void {
  let capped = false;
  const cap = (): void => {
    setFlagsFromString('--semi-space-growth-factor=1');
    capped = true;
  };
  const poll = setInterval(() => {
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    if (newSpace === undefined || newSpace.space_size < YOUNG_GENERATION_CAP) return;
    cap();
    clearInterval(poll);
  }, POLL_MS);
  poll.unref();
  process.on('worker', (worker) => {
    worker.once('online', () => {
      if (capped) cap();
    });
  });
}

/**
 * How far V8 lets the old generation grow past what its last full collection kept, in percent:
 * to twice it, where V8 alone picks up to four times when collecting is fast (as in a backup,
 * whose garbage is mostly short-lived). A first backup of /usr/share then peaks 15-20 MB lower
 * (8 and 10 pairs) at 1-2% more CPU; a restore gained 6 MB for 2.5% more time, and is left to
 * V8 (benchmarks/BENCHMARKS.md, issue 15).
 */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Sets V8's heap growing factor to HEAP_GROWING_PERCENT for the rest of the run (V8 reads it after
 * each full collection) once the process starts a worker thread: a backup with new data, which it
 * compresses in threads. A no-op backup starts none and keeps V8's own choice (it peaks no lower
 * with the limit). The flag is the process's: only the CLI's backup, which owns the process, calls this.
 */
export function limitHeapGrowth(): void {
  process.once('worker', (worker) => {
    worker.once('online', () => setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`));
  });
}

/**
 * Puts back V8's own heap flags: the young generation's growth factor (2) and the old
 * generation's growing factor (0: V8 chooses). Harmless when neither was changed; the code cache
 * (code-cache.ts) calls it before it is made, since V8 refuses a cache made under other flags
 * than the next run starts with.
 */
export function putBackHeapFlags(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
  setFlagsFromString('--heap-growing-percent=0');
}
