import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../src/report.js';
import { checkTmpfs, SHM } from '../src/target-dir.js';
import { bench, BENCH, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

const shmIsTmpfs = await checkTmpfs().then(() => true, () => false);

interface TmpfsJson {
  target: { tmpfs: boolean; dir: string; filesystem?: { type: string } };
  corpus: { path: string };
  samples: { phase: string; userSeconds?: number; systemSeconds?: number }[];
}

/** The folders under /dev/shm that the bench process with this target folder made: cairn-bench-<its pid>-*. */
function leftOver(targetDir: string): string[] {
  const prefix = basename(targetDir).replace(/[^-]+$/, '');
  return readdirSync(SHM).filter((name) => name.startsWith(prefix));
}

describe.skipIf(!shmIsTmpfs)('cairn-bench --target-tmpfs', () => {
  it('puts repositories and restores on tmpfs, reports CPU time for every phase, says so, and leaves nothing under /dev/shm', async () => {
    const work = await tempDir();
    const json = join(work, 'out.json');
    const run = await bench(['--small', '--tools', 'cairn', '--reps', '1', '--target-tmpfs', '--work', work, '--json', json, '--no-install']);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.code).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8')) as TmpfsJson;
    expect(out.target.tmpfs).toBe(true);
    expect(out.target.filesystem?.type).toBe('tmpfs');
    expect(out.target.dir.startsWith(`${SHM}/cairn-bench-`)).toBe(true);
    expect(run.stdout).toContain(`repository and restore on tmpfs (${out.target.dir}); the source stays in --work ${work}`);
    for (const metric of METRICS.filter((m) => m.field === 'cpuSeconds')) {
      expect(tableRow(run.stdout, metric.label)?.[1], metric.label).toMatch(/^\d+\.\d+ s$/);
    }
    expect(METRICS.filter((m) => m.field === 'cpuSeconds').map((m) => m.phase)).toEqual(['first', 'noop', 'change', 'restore']);
    expect(out.samples.every((s) => s.userSeconds! > 0 && s.systemSeconds! >= 0)).toBe(true);
    expect(tableRow(run.stdout, 'restore verified')).toEqual(['restore verified', 'yes (1/1)']);
    // The source was copied into --work, not to tmpfs; the run removed its folders on both.
    expect(out.corpus.path.startsWith(`${work}/run-`)).toBe(true);
    expect(existsSync(out.target.dir)).toBe(false);
    expect(leftOver(out.target.dir)).toEqual([]);
    expect(readdirSync(work).filter((name) => name.startsWith('run-'))).toEqual([]);
  });

  it('removes its tmpfs folder when interrupted in the middle of a tool\'s backup', async () => {
    const work = await tempDir();
    const child = spawn(process.execPath, [BENCH, '--small', '--tools', 'cairn', '--reps', '3', '--target-tmpfs', '--work', work, '--no-install'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    // Interrupted once the first backup is done, while the next one runs.
    await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/rep 1: cairn first /.test(stderr)) resolve();
    }));
    const dir = /repository and restore on tmpfs \((\S+)\)/.exec(stderr)![1]!;
    expect(existsSync(join(dir, 'rep-1', 'cairn', 'repo'))).toBe(true);
    child.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    expect(existsSync(dir)).toBe(false);
    expect(leftOver(dir)).toEqual([]);
  });

  it('with --keep leaves the repositories and the restore on tmpfs, none in --work', async () => {
    const work = await tempDir();
    const json = join(work, 'out.json');
    const run = await bench(['--small', '--tools', 'cairn', '--reps', '1', '--target-tmpfs', '--keep', '--work', work, '--json', json, '--no-install']);
    const out = JSON.parse(readFileSync(json, 'utf8')) as TmpfsJson;
    try {
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`kept ${out.target.dir} (--keep)`);
      expect(readdirSync(join(out.target.dir, 'rep-1', 'cairn', 'repo'))).toContain('config');
      expect(existsSync(join(out.target.dir, 'rep-1', 'cairn', 'restore', 'corpus'))).toBe(true);
      const runDir = dirname(dirname(out.corpus.path));
      expect(readdirSync(runDir).filter((name) => name.startsWith('rep-'))).toEqual([]);
    } finally {
      rmSync(out.target.dir, { recursive: true, force: true });
    }
  });
});
