import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT } from '../src/heap-flags.js';

const MODULE = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'heap-flags.js')).href;

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

/**
 * Runs, in a process of its own with V8's trace of its heap limits, full collections of a growing
 * heap, with or without limitHeapGrowth, before and after a worker thread starts, and returns the
 * growing factor of each new limit of the old generation, before and after.
 */
function growingFactors(limit: boolean): { before: number[]; after: number[] } {
  const script = `
    import { Worker } from 'node:worker_threads';
    const { limitHeapGrowth } = await import(${JSON.stringify(MODULE)});
    if (${limit}) limitHeapGrowth();
    const live = [];
    const grow = () => {
      for (let i = 0; i < 100_000; i += 1) live.push({ i, s: 'x' + i });
      globalThis.gc();
    };
    grow();
    console.log('worker');
    const thread = new Worker('setTimeout(() => {}, 10)', { eval: true });
    await new Promise((resolve) => thread.once('online', resolve));
    await thread.terminate();
    for (let round = 0; round < 4; round += 1) grow();
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  // "[HeapController] Limit: old size: 10127 KB, new limit: 28308 KB (2.0)"
  const factors = (text: string): number[] => [...text.matchAll(/\[HeapController\] Limit: .*\(([\d.]+)\)/g)].map((match) => Number(match[1]));
  const [before = '', after = ''] = run.stdout.split('\nworker\n');
  return { before: factors(before), after: factors(after) };
}

describe('limitHeapGrowth', () => {
  it('once a worker thread starts, sets the old generation to grow to twice what a full collection kept; before, and without it, V8 picks its own factor', () => {
    const limited = growingFactors(true);
    expect(limited.after.length).toBeGreaterThanOrEqual(4);
    expect(new Set(limited.after)).toEqual(new Set([1 + HEAP_GROWING_PERCENT / 100]));
    // V8's own choice: 4.0 for this fast collector (a heap grown to four times what survived).
    expect(limited.before.some((factor) => factor !== 2)).toBe(true);
    expect(growingFactors(false).after.some((factor) => factor !== 2)).toBe(true);
  });
});
