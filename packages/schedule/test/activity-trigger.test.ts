import { describe, expect, it } from 'vitest';
import { createActivityTrigger, createFakeClock } from '../src/index.js';
import type { ActivitySummary } from '../src/index.js';

function setup(options: { maxWait?: number; minFiles?: number; minBytes?: number; measure?: (paths: readonly string[]) => Promise<number> } = {}) {
  const clock = createFakeClock(0);
  const fired: ActivitySummary[] = [];
  const trigger = createActivityTrigger({ clock, settle: 30_000, ...options, fire: (s) => fired.push(s) });
  return { clock, fired, trigger };
}

describe('activity trigger with a fake clock', () => {
  it('turns a burst of 2,000 changes into one backup after the settle time', async () => {
    const { clock, fired, trigger } = setup();
    for (let i = 0; i < 2000; i += 1) {
      trigger.change(`/p/f${i}`);
      if (i % 100 === 0) await clock.advance(500);
    }
    await clock.advance(29_000);
    expect(fired).toEqual([]);
    await clock.advance(1_000);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ files: 2000, why: 'settled' });
    await clock.advance(10 * 60_000);
    expect(fired).toHaveLength(1);
    expect(clock.pending()).toBe(0); // idle: no timer left
  });

  it('backs up at most every maxWait while changes keep coming', async () => {
    const { clock, fired, trigger } = setup({ maxWait: 5 * 60_000 });
    for (let t = 0; t < 12 * 60_000; t += 10_000) {
      trigger.change(`/p/f${t}`);
      await clock.advance(10_000);
    }
    expect(fired.map((s) => s.why)).toEqual(['max-wait', 'max-wait']);
    await clock.advance(30_000);
    expect(fired.map((s) => s.why)).toEqual(['max-wait', 'max-wait', 'settled']);
  });

  it('waits for a significant change: below the threshold, changes add up', async () => {
    const { clock, fired, trigger } = setup({ minFiles: 3 });
    trigger.change('/p/a');
    await clock.advance(60_000);
    expect(fired).toEqual([]);
    trigger.change('/p/b');
    trigger.change('/p/c');
    await clock.advance(60_000);
    expect(fired).toHaveLength(1);
    expect(fired[0]?.files).toBe(3);
  });

  it('lets the caller call a change significant below the thresholds (a tracked file)', async () => {
    const clock = createFakeClock(0);
    const fired: ActivitySummary[] = [];
    const trigger = createActivityTrigger({ clock, settle: 30_000, minFiles: 50, significant: async (paths) => paths.includes('/p/tracked.c'), fire: (s) => fired.push(s) });
    trigger.change('/p/scratch.tmp');
    await clock.advance(60_000);
    expect(fired).toEqual([]);
    trigger.change('/p/tracked.c');
    await clock.advance(60_000);
    expect(fired.map((s) => s.files)).toEqual([2]);
  });

  it('counts bytes toward significance when a byte threshold is set', async () => {
    const { clock, fired, trigger } = setup({ minFiles: 100, minBytes: 1000, measure: async (paths) => paths.length * 600 });
    trigger.change('/p/a');
    await clock.advance(60_000);
    expect(fired).toEqual([]);
    trigger.change('/p/b');
    await clock.advance(60_000);
    expect(fired[0]).toMatchObject({ files: 2, bytes: 1200 });
  });
});
