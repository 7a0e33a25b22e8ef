import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureScaleTree } from '../src/scale-tree.js';
import { digestTree, firstDifference } from '../src/tree-digest.js';
import { bench, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

// A stand-in cairn CLI whose find finds nothing.
const FAKE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fake-cairn.mjs');
const seconds = /^\d+(\.\d+)? s$/;

describe('cairn-bench inspect', () => {
  it('times find, diff and grep over several snapshots beside restic and borg, and puts the tree back as generated', async () => {
    const work = await tempDir();
    const run = await bench(['inspect', '--files', '300', '--snapshots', '3', '--reps', '1', '--work', work, '--no-install']);
    expect(run.stdout).not.toContain('FAILED');
    expect(run.code, run.stderr).toBe(0);
    const header = run.stdout.split('\n').find((l) => l.startsWith('| history command'))!.split('|').slice(1, -1).map((c) => c.trim());
    const find = tableRow(run.stdout, 'find by name (history-notes.ts)')!;
    const diff = tableRow(run.stdout, 'diff of the last two snapshots')!;
    const grep = tableRow(run.stdout, 'grep a literal across every snapshot')!;
    expect(find[1]).toMatch(seconds);
    expect(find[header.indexOf('cairn target')]).toMatch(/^< 2 s: (met|MISSED)$/);
    expect(diff[1]).toMatch(seconds);
    expect(diff[header.indexOf('cairn target')]).toMatch(/^< 1 s: (met|MISSED)$/);
    expect(grep[1]).toMatch(seconds);
    expect(grep[header.indexOf('cairn target')]).toMatch(/^< 10 s: (met|MISSED)$/);
    if (header.includes('restic')) {
      expect(find[header.indexOf('restic')]).toMatch(seconds);
      expect(diff[header.indexOf('restic')]).toMatch(seconds);
      expect(grep[header.indexOf('restic')]).toBe('no content search');
      expect(find[header.indexOf('cairn/restic')]).toMatch(/^\d+\.\d\d$/);
    }
    if (header.includes('borg')) {
      expect(find[header.indexOf('borg')]).toMatch(/^\d+\.\d\d s \(list each archive\)$/);
      expect(diff[header.indexOf('borg')]).toMatch(seconds);
    }
    // Grep's summary: every distinct content read once, less than the files of all snapshots.
    const read = /cairn grep read ([\d.]+) MB decompressed \((\d+) distinct contents, each once\) for ([\d.]+) MB of files in 3 snapshots: ([\d.]+) of the logical size; (\d+) files match/.exec(run.stdout);
    expect(read, run.stdout).not.toBeNull();
    expect(Number(read![1])).toBeLessThan(Number(read![3]));
    expect(Number(read![5])).toBeGreaterThan(0);
    // The edits were undone: the tree is as a fresh one of the same size and seed.
    const fresh = await ensureScaleTree(await tempDir(), 300, 1, () => undefined);
    const after = await digestTree(join(work, 'scale-300-s1', 'tree'));
    expect(firstDifference(await digestTree(fresh.root), after)).toBeUndefined();
  });

  it('catches a find that finds nothing, leaves the later commands of that tool out, and exits with 1', async () => {
    const work = await tempDir();
    const run = await bench(['inspect', '--files', '300', '--snapshots', '3', '--reps', '1', '--tools', 'cairn', '--work', work, '--cairn-cli', FAKE, '--no-install']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAILED: cairn find: cairn find printed no history-notes.ts, which the snapshots hold');
    expect(tableRow(run.stdout, 'find by name (history-notes.ts)')![1]).toBe('–');
    expect(tableRow(run.stdout, 'diff of the last two snapshots')![1]).toBe('–');
  });
});
