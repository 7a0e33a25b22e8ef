import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bench, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

// A stand-in cairn CLI: it copies on backup and restore, and misbehaves on request.
const FAKE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fake-cairn.mjs');

describe('cairn-bench catches a tool that misbehaves', () => {
  it('marks a restore that does not match the source, names the file, and exits with 1', async () => {
    const work = await tempDir();
    const run = await bench(['--small', '--tools', 'cairn', '--reps', '1', '--work', work, '--cairn-cli', FAKE, '--no-install'], { ...process.env, FAKE_CAIRN_MODE: 'corrupt' });
    expect(run.code).toBe(1);
    expect(tableRow(run.stdout, 'restore verified')).toEqual(['restore verified', 'NO (0/1)']);
    expect(run.stderr).toMatch(/cairn restore [\d.]+ s NOT VERIFIED: expected f \S+ \d+ [0-9a-f]{64}/);
    expect(run.stdout).toContain('cairn 9.9.9');
  });

  it('records a failed backup with its message, leaves the later phases out, and passes --cairn-args to every backup', async () => {
    const work = await tempDir();
    const json = join(work, 'out.json');
    const run = await bench(
      ['--small', '--tools', 'cairn', '--reps', '1', '--work', work, '--cairn-cli', FAKE, '--no-install', '--keep', '--json', json, '--cairn-args', '--compression fast'],
      { ...process.env, FAKE_CAIRN_MODE: 'fail-change' },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAILED: rep 1, cairn change: cairn change backup failed (exit code 2): fake-cairn: the disk is on fire');
    expect(tableRow(run.stdout, 'first backup')![1]).toMatch(/^\d+\.\d+ s$/);
    expect(tableRow(run.stdout, 'backup after a small change')![1]).toBe('–');
    expect(tableRow(run.stdout, 'restore latest')![1]).toBe('–');
    const out = JSON.parse(readFileSync(json, 'utf8')) as { samples: { phase: string }[]; corpus: { path: string } };
    expect(out.samples.map((s) => s.phase)).toEqual(['first', 'noop']);
    // --keep left the repository: every backup got the extra arguments after the path.
    const runDir = dirname(dirname(out.corpus.path));
    for (const call of [0, 1, 2]) {
      const args = JSON.parse(readFileSync(join(runDir, 'rep-1', 'cairn', 'repo', `args-${call}.json`), 'utf8')) as string[];
      expect(args.slice(-3)).toEqual([out.corpus.path, '--compression', 'fast']);
    }
  });
});
