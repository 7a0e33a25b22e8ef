import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'young-generation.js')).href;

/**
 * Runs, in a process of its own (V8's flags are the process's), an allocation that keeps a third
 * of what it makes (so V8 would grow the young generation to its 32 MiB), with the cap on, and
 * prints the largest new space seen before and after a worker thread starts (`worker`);
 * `setAgain` false takes away the cap's listener for a worker's start.
 */
function newSpacePeaks(cap: boolean, worker: boolean, setAgain = true): { before: number; after: number; limit: number } {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { Worker } from 'node:worker_threads';
    import { setTimeout as sleep } from 'node:timers/promises';
    const { capYoungGeneration, YOUNG_GENERATION_CAP } = await import(${JSON.stringify(MODULE)});
    if (${cap}) capYoungGeneration();
    // What the cap does as a worker starts, taken away (to see what it is for).
    if (!${setAgain}) process.removeAllListeners('worker');
    const newSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size;
    const keep = [];
    const churn = async () => {
      let peak = 0;
      for (let round = 0; round < 40; round += 1) {
        for (let i = 0; i < 50_000; i += 1) { const o = { i, s: String(i) }; if (i % 3 === 0) keep.push(o); }
        peak = Math.max(peak, newSpace());
        await sleep(12); // the cap looks every 10 ms
      }
      return peak;
    };
    const before = await churn();
    if (${worker}) {
      const thread = new Worker('setTimeout(() => {}, 10)', { eval: true });
      await new Promise((resolve) => thread.once('online', resolve));
    }
    keep.length = 0;
    const after = await churn();
    console.log(JSON.stringify({ before, after, limit: YOUNG_GENERATION_CAP }));
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { before: number; after: number; limit: number };
}

describe('capYoungGeneration', () => {
  it('keeps the young generation at the cap, where V8 alone grows it past', () => {
    const uncapped = newSpacePeaks(false, false);
    expect(uncapped.after).toBeGreaterThan(uncapped.limit);
    const capped = newSpacePeaks(true, false);
    expect(capped.before).toBeLessThanOrEqual(capped.limit);
    expect(capped.after).toBeLessThanOrEqual(capped.limit);
  });

  it('keeps it there once a worker thread starts (a backup compressing new data), where the new isolate alone would lift it', () => {
    const capped = newSpacePeaks(true, true);
    expect(capped.before).toBeLessThanOrEqual(capped.limit);
    // The cap is set again when the thread comes online: a scavenge of the main thread between the
    // new isolate's start and that moment may still double the young generation once (seen on a
    // loaded machine), never more.
    expect(capped.after).toBeLessThanOrEqual(2 * capped.limit);
    // Without the cap set again, the worker's start puts V8's growth back: it grows to V8's 32 MiB.
    const lost = newSpacePeaks(true, true, false);
    expect(lost.after).toBeGreaterThan(2 * lost.limit);
  });
});
