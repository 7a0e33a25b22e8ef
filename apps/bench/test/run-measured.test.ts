import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '../src/find-executable.js';
import { parseTimeStats, runMeasured } from '../src/run-measured.js';
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

  it.skipIf(time === undefined)('measures user and system CPU time: a busy loop shows user time, reads of /dev/zero show system time', async () => {
    const dir = await tempDir();
    // Each spins until its own clock says it has spent the CPU, so a busy machine only makes it slower
    // (the busy loop asks the clock, a system call, only once per million steps).
    const user = await runMeasured({ file: process.execPath, args: ['-e', 'let x = 0; while (process.cpuUsage().user < 600e3) for (let i = 0; i < 1e6; i += 1) x += Math.sqrt(x + i);'], env: process.env }, time, join(dir, 'stats'));
    const system = await runMeasured(
      { file: process.execPath, args: ['-e', 'const fs = require("fs"); const fd = fs.openSync("/dev/zero", "r"); const b = Buffer.alloc(1 << 20); while (process.cpuUsage().system < 400e3) fs.readSync(fd, b, 0, b.length, null);'], env: process.env },
      time,
      join(dir, 'stats'),
    );
    expect(user.code).toBe(0);
    expect(system.code).toBe(0);
    expect(user.userSeconds).toBeGreaterThanOrEqual(0.6);
    expect(user.systemSeconds).toBeGreaterThanOrEqual(0);
    expect(user.systemSeconds).toBeLessThan(user.userSeconds!);
    expect(system.systemSeconds).toBeGreaterThanOrEqual(0.4);
    expect(system.systemSeconds).toBeGreaterThan(user.systemSeconds!);
  });

  it('reads GNU time\'s line after the line it writes for a failure or a signal', () => {
    expect(parseTimeStats('0.51 41234 0.40 0.08\n')).toEqual({ peakRss: 41234 * 1024, userSeconds: 0.4, systemSeconds: 0.08 });
    expect(parseTimeStats('Command exited with non-zero status 3\n1.20 2048 0.93 0.25\n')).toEqual({ peakRss: 2048 * 1024, userSeconds: 0.93, systemSeconds: 0.25 });
    expect(parseTimeStats('Command terminated by signal 9\n0.02 1024 0.00 0.01\n')).toEqual({ peakRss: 1024 * 1024, userSeconds: 0, systemSeconds: 0.01 });
    expect(parseTimeStats('')).toBeUndefined();
    expect(parseTimeStats('Command exited with non-zero status 1\n')).toBeUndefined();
  });

  it('reports the exit code and output of a failing command, and a command that cannot start', async () => {
    const dir = await tempDir();
    const failed = await runMeasured({ file: process.execPath, args: ['-e', 'console.log("out"); console.error("bad thing"); process.exit(3)'], env: process.env }, time, join(dir, 'stats'));
    expect(failed.code).toBe(3);
    expect(failed.stdout).toBe('out\n');
    expect(failed.stderr).toContain('bad thing');
    if (time !== undefined) {
      // GNU time wrote "Command exited with non-zero status 3" first: its figures are still read.
      expect(failed.peakRss).toBeGreaterThan(1e6);
      expect(failed.userSeconds).toBeGreaterThanOrEqual(0);
      expect(failed.systemSeconds).toBeGreaterThanOrEqual(0);
    }
    const missing = await runMeasured({ file: join(dir, 'no-such-tool'), args: [], env: process.env }, undefined, join(dir, 'stats'));
    expect(missing.code).toBeNull();
    expect(missing.stderr).toContain('ENOENT');
    expect(missing.userSeconds).toBeUndefined();
    expect(missing.systemSeconds).toBeUndefined();
  });
});

describe('findExecutable', () => {
  it('finds node on a PATH and nothing on an empty one', () => {
    expect(findExecutable('node', `/nonexistent:${join(process.execPath, '..')}`)).toBe(process.execPath);
    expect(findExecutable('node', '/nonexistent')).toBeUndefined();
  });
});
