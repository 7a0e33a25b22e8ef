import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { watchChild } from './lifecycle-helpers.js';

describe('worker pools destroyed while their threads start', () => {
  // Node 20 aborts the process when a thread is terminated while require() loads an ES module,
  // which piscina did with each worker module (cairn ui died of it after a short grep). With the
  // pools giving piscina their ES modules to load, this failed 6 runs in 6, with the abort's message.
  it('never take the process down: every kind of pool, as built, started and destroyed at moments spread over its start-up', { timeout: 120_000 }, async () => {
    const script = fileURLToPath(new URL('./pool-churn-process.mjs', import.meta.url));
    const end = await watchChild(spawn(process.execPath, [script, '48'], { stdio: ['ignore', 'pipe', 'pipe'] })).done;
    expect(`${end.code} ${end.signal} ${end.stdout}`, end.stderr).toBe('0 null survived\n');
  });
});
