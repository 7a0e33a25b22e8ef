import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '../src/find-executable.js';
import { runMeasured } from '../src/run-measured.js';
import { tempDir } from './temp-dir.js';

const time = findExecutable('/usr/bin/time');

describe('runMeasured', () => {
  it.skipIf(time === undefined)('measures the peak RSS of a process that touches 150 MB, and its wall time', async () => {
    const dir = await tempDir();
    const small = await runMeasured({ file: process.execPath, args: ['-e', ''], env: process.env }, time, join(dir, 'stats'));
    const big = await runMeasured({ file: process.execPath, args: ['-e', 'Buffer.alloc(150e6, 1); setTimeout(() => {}, 300)'], env: process.env }, time, join(dir, 'stats'));
    expect(small.code).toBe(0);
    expect(big.code).toBe(0);
    expect(big.peakRss).toBeGreaterThan(150e6);
    expect(small.peakRss).toBeLessThan(big.peakRss! - 100e6);
    expect(big.seconds).toBeGreaterThan(0.3);
  });

  it('reports the exit code and output of a failing command, and a command that cannot start', async () => {
    const dir = await tempDir();
    const failed = await runMeasured({ file: process.execPath, args: ['-e', 'console.log("out"); console.error("bad thing"); process.exit(3)'], env: process.env }, time, join(dir, 'stats'));
    expect(failed.code).toBe(3);
    expect(failed.stdout).toBe('out\n');
    expect(failed.stderr).toContain('bad thing');
    const missing = await runMeasured({ file: join(dir, 'no-such-tool'), args: [], env: process.env }, undefined, join(dir, 'stats'));
    expect(missing.code).toBeNull();
    expect(missing.stderr).toContain('ENOENT');
  });
});

describe('findExecutable', () => {
  it('finds node on a PATH and nothing on an empty one', () => {
    expect(findExecutable('node', `/nonexistent:${join(process.execPath, '..')}`)).toBe(process.execPath);
    expect(findExecutable('node', '/nonexistent')).toBeUndefined();
  });
});
