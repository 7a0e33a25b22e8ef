import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '../src/find-executable.js';
import { METRICS } from '../src/report.js';
import { bench, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

const number = /^\d+(\.\d+)? (s|MB)$/;

describe('cairn-bench on the small corpus', () => {
  it('runs every phase with cairn, verifies the restore, and writes the samples as JSON', async () => {
    const work = await tempDir();
    const json = join(work, 'out.json');
    const run = await bench(['--small', '--tools', 'cairn', '--reps', '1', '--work', work, '--json', json, '--no-install']);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('command: node ');
    expect(run.stdout).toMatch(/machine: .+, \d+ cores, [\d.]+ GiB RAM, .+; node v\d+.+; cairn \d+\.\d+/);
    expect(run.stdout).toMatch(/corpus: generated \(seed 1, --small\)/);
    // Without --target-tmpfs the repository and the restore are in --work, and the header names its filesystem.
    expect(run.stdout.split('\n').find((line) => line.startsWith('repository and restore on '))).toMatch(/^repository and restore on (disk|tmpfs|ramfs) \(\S+ at \/.*\), in --work \//);
    for (const metric of METRICS) {
      const row = tableRow(run.stdout, metric.label);
      expect(row, metric.label).toBeDefined();
      expect(row![1], metric.label).toMatch(number);
    }
    expect(tableRow(run.stdout, 'restore verified')).toEqual(['restore verified', 'yes (1/1)']);

    const out = JSON.parse(readFileSync(json, 'utf8')) as { samples: { phase: string; seconds: number; userSeconds?: number; systemSeconds?: number; verified?: boolean }[]; medians: Record<string, { cairn?: number }>; machine: { cores: number } };
    expect(out.samples.map((s) => s.phase)).toEqual(['first', 'noop', 'change', 'restore']);
    expect(out.samples.every((s) => s.seconds > 0)).toBe(true);
    expect(out.samples[3]!.verified).toBe(true);
    expect(out.medians['first.seconds']!.cairn).toBe(out.samples[0]!.seconds);
    // Raw user and system CPU time per sample; the table's CPU row is their sum.
    expect(out.samples.every((s) => s.userSeconds! > 0 && s.systemSeconds! >= 0)).toBe(true);
    const restore = out.samples[3]!;
    expect(out.medians['restore.cpuSeconds']!.cairn).toBeCloseTo(restore.userSeconds! + restore.systemSeconds!, 6);
    expect(out.machine.cores).toBeGreaterThan(0);
    // The run's folder is removed; the generated corpus stays cached for the next run.
    expect(readdirSync(work).filter((name) => name.startsWith('run-'))).toEqual([]);
    expect(readdirSync(work).filter((name) => name.startsWith('corpus-'))).toHaveLength(1);
  });

  it.skipIf(findExecutable('restic') === undefined)('runs cairn and restic side by side, with the cairn/restic ratio', async () => {
    const work = await tempDir();
    const run = await bench(['--small', '--tools', 'cairn,restic', '--reps', '1', '--work', work, '--no-install']);
    expect(run.code).toBe(0);
    const row = tableRow(run.stdout, 'first backup')!;
    expect(row).toHaveLength(4);
    expect(row[1]).toMatch(number);
    expect(row[2]).toMatch(number);
    expect(Number(row[3])).toBeCloseTo(Number.parseFloat(row[1]!) / Number.parseFloat(row[2]!), 1);
    expect(tableRow(run.stdout, 'restore verified')).toEqual(['restore verified', 'yes (1/1)', 'yes (1/1)', '']);
    expect(tableRow(run.stdout, 'encryption')![2]).toBe('encrypted (cannot be disabled)');
  });
});

describe('cairn-bench with bad input', () => {
  it('rejects bad options with a message and exit code 1', async () => {
    const work = await tempDir();
    for (const [args, message] of [
      [['--reps', '0'], /--reps <n>.*whole number from 1/],
      [['--tools', 'cairn,tar'], /"tar" is not a tool/],
      [['--corpus', join(work, 'nothing-here')], /corpus folder .*nothing-here does not exist/],
      [['--corpus', work, '--history', work], /cannot be used with/],
      [['--target-tmpfs', '--history', work], /'--target-tmpfs' cannot be used with option '--history/],
      [['--target-tmpfs', '--repo-url', 'rest'], /'--target-tmpfs' cannot be used with option '--repo-url/],
      [['--large-mb', '-3'], /--large-mb <n>.*number above 0/],
    ] as const) {
      const run = await bench([...args, '--work', work, '--no-install']);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    expect(readdirSync(work)).toEqual([]);
  });

  it('leaves out a tool that is missing and cannot be installed, and says why', async () => {
    const work = await tempDir();
    const empty = await tempDir(); // a PATH without restic, borg or apt-get
    const run = await bench(['--tools', 'restic', '--work', work], { ...process.env, PATH: empty });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('left out: restic is not on PATH and could not be installed');
    expect(run.stderr).toMatch(/None of the tools asked for \(restic\) can run/);
  });
});
