import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '../src/find-executable.js';
import { runMeasured, stopMeasured } from '../src/run-measured.js';
import { tempDir } from './temp-dir.js';

const time = findExecutable('/usr/bin/time');

/** Whether process `pid` still runs (a zombie waiting to be reaped does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// stopMeasured stops this module for good: this file holds nothing else.
describe('stopMeasured', () => {
  it.skipIf(time === undefined || !existsSync('/proc/self/task'))('kills a measured command under GNU time, the tool too, and starts nothing after', async () => {
    const dir = await tempDir();
    const pidFile = join(dir, 'pid');
    const started = performance.now();
    const run = runMeasured({ file: process.execPath, args: ['-e', `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60000)`], env: process.env }, time, join(dir, 'stats'));
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') await new Promise((resolve) => setTimeout(resolve, 20));
    const tool = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(tool)).toBe(true);
    await stopMeasured();
    expect(alive(tool)).toBe(false);
    expect((await run).code).not.toBe(0);
    expect(performance.now() - started).toBeLessThan(30_000);
    const later = await runMeasured({ file: process.execPath, args: ['-e', ''], env: process.env }, time, join(dir, 'stats'));
    expect(later.code).toBeNull();
    expect(later.stderr).toContain('the bench is stopping');
  });
});
