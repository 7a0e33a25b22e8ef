import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bench, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

const timing = /^\d+ ms \(min \d+, max \d+\)$/;

describe('cairn-bench protect', () => {
  it('times protect of one file through the API and the CLI, with the targets, and keeps the samples with --json', { timeout: 120_000 }, async () => {
    const dir = await tempDir();
    const work = join(dir, 'work');
    const json = join(dir, 'protect.json');
    const run = await bench(['protect', '--files', '300', '--size', '1', '--runs', '2', '--work', work, '--json', json]);
    expect(run.code, run.stderr).toBe(0);
    expect(tableRow(run.stdout, 'API, after an 8-byte change (read whole, one chunk stored)')?.[1]).toMatch(timing);
    expect(tableRow(run.stdout, 'API, unchanged since the last protect')?.[2]).toMatch(/^< 50 ms: (met|MISSED)$/);
    expect(tableRow(run.stdout, 'CLI `cairn protect`, after an 8-byte change, process start included')?.[1]).toMatch(timing);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { apiChangedMs: number[]; cliChangedMs: number[]; cliUnchangedMs: number[] };
    expect(out.apiChangedMs).toHaveLength(2);
    expect(out.cliChangedMs).toHaveLength(2);
    expect(out.cliUnchangedMs).toHaveLength(2);
    // A second run with --reuse makes nothing anew.
    const again = await bench(['protect', '--files', '300', '--size', '1', '--runs', '1', '--work', work, '--reuse']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('making');
  });
});
