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
 * Lets the young generation grow again: V8's own growth factor (2) put back. Harmless when the
 * cap was never set; the code cache (code-cache.ts) calls it before it is made, since V8 refuses
 * a cache made under other flags than the next run starts with.
 */
export function releaseYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
}
