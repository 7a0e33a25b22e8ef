import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bench, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

const seconds = /^\d+(\.\d+)? s$/;

describe('cairn-bench find', () => {
  it('times find by name and by glob over several snapshots beside restic, and leaves the tree as generated', async () => {
    const work = await tempDir();
    const run = await bench(['find', '--files', '600', '--snapshots', '3', '--reps', '1', '--tools', 'cairn,restic', '--work', work, '--no-install']);
    expect(run.stdout).not.toContain('FAILED');
    expect(run.code, run.stderr).toBe(0);
    const byName = tableRow(run.stdout, 'find by name (f000200.ts: 1 file)')!;
    expect(byName[1]).toMatch(seconds);
    if (run.stdout.includes('| restic')) expect(byName[2]).toMatch(seconds);
    expect(tableRow(run.stdout, 'find by glob (*7.ts: a tenth of the files)')![1]).toMatch(seconds);
    expect(tableRow(run.stdout, 'cairn target: find by name under 2 s')![1]).toMatch(/^(met|MISSED)$/);
    const tree = join(work, 'scale-600-s1', 'tree');
    expect(readdirSync(join(work, 'scale-600-s1'))).toEqual(['tree']); // the change was undone
    for (const project of readdirSync(tree)) expect(readdirSync(join(tree, project))).toEqual(['src']); // no file of the run is left
    expect(readFileSync(join(tree, 'project-00', 'src', 'm000', 'f000000.ts'), 'utf8')).not.toContain('changed by cairn-bench');
  });
});
