import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bench, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

const seconds = /^\d+\.\d+ s$/;

describe('cairn-bench --history', () => {
  it('backs up each version in name order into one repository and reports the total and the final size', async () => {
    const dir = await tempDir();
    const history = join(dir, 'acme');
    for (const [version, files] of [
      ['v2', { 'a.ts': 'a2\n'.repeat(5_000), 'b.ts': 'b\n' }],
      ['v10', { 'a.ts': 'a10\n'.repeat(5_000), 'c.ts': 'c\n' }],
      ['v1', { 'a.ts': 'a1\n'.repeat(5_000) }],
    ] as const) {
      mkdirSync(join(history, version), { recursive: true });
      for (const [name, content] of Object.entries(files)) writeFileSync(join(history, version, name), content);
    }
    const json = join(dir, 'history.json');
    const run = await bench(['--history', history, '--tools', 'cairn', '--reps', '1', '--work', join(dir, 'work'), '--json', json, '--no-install']);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('3 versions (v1 … v10)');
    expect(tableRow(run.stdout, 'total backup time, 3 versions')![1]).toMatch(seconds);
    expect(tableRow(run.stdout, 'first version (v1)')![1]).toMatch(seconds);
    expect(tableRow(run.stdout, 'final repository size')![1]).toMatch(/^\d+\.\d MB$/);
    expect(tableRow(run.stdout, 'restore of the last version (v10)')![1]).toMatch(seconds);
    expect(tableRow(run.stdout, 'git gc, 3 commits')![1]).toMatch(/^\d+\.\d MB$/);
    expect(tableRow(run.stdout, 'xz -9 of one tar of all versions')![1]).toMatch(/^\d+\.\d MB$/);
    const out = JSON.parse(readFileSync(json, 'utf8')) as {
      versions: string[];
      samples: { version: string; repoBytes: number }[];
      restores: { tool: string; verified: boolean }[];
      floors: { label: string; bytes: number }[];
    };
    expect(out.restores).toMatchObject([{ tool: 'cairn', verified: true }]);
    // Three versions of ~15 KB of repetitive text: both floors are a few hundred bytes to a few KB, never zero.
    for (const floor of out.floors) expect(floor.bytes).toBeGreaterThan(100);
    expect(out.floors.map((f) => f.label)).toEqual(['git gc, 3 commits', 'xz -9 of one tar of all versions']);
    expect(out.versions).toEqual(['v1', 'v2', 'v10']);
    expect(out.samples.map((s) => s.version)).toEqual(['v1', 'v2', 'v10']);
    expect(out.samples[2]!.repoBytes).toBeGreaterThan(out.samples[0]!.repoBytes);
  });

  it('says so when the history folder holds no versions', async () => {
    const dir = await tempDir();
    const work = await tempDir();
    const run = await bench(['--history', dir, '--tools', 'cairn', '--work', work, '--no-install']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The history folder ${dir} holds no version folders.`);
    expect(readdirSync(work)).toEqual([]);
  });

  it('refuses a work folder inside the history or corpus folder', async () => {
    const dir = await tempDir();
    mkdirSync(join(dir, 'v1'));
    for (const option of ['--history', '--corpus']) {
      const run = await bench([option, dir, '--tools', 'cairn', '--work', join(dir, 'work'), '--no-install']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`is inside the ${option.slice(2)} folder ${dir}`);
    }
    expect(readdirSync(dir)).toEqual(['v1']);
  });
});

describe('cairn-bench scale, bigfile and index-memory', () => {
  it('scale: first, no-op and 500-file-change backups of a generated tree, with the targets, leaving the tree as generated', async () => {
    const work = await tempDir();
    const run = await bench(['scale', '--files', '600', '--work', work, '--no-install']);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.code).toBe(0);
    for (const label of ['first backup', 'no-op backup', 'backup after changing 500 files']) expect(tableRow(run.stdout, label)![1]).toMatch(seconds);
    expect(tableRow(run.stdout, 'cairn target: no-op under 20 s')![1]).toMatch(/^(met|MISSED)$/);
    const tree = join(work, 'scale-600-s1', 'tree');
    expect(readdirSync(tree)).toHaveLength(50);
    expect(readdirSync(join(work, 'scale-600-s1'))).toEqual(['tree']); // the change was undone
    expect(readFileSync(join(tree, 'project-00', 'src', 'm000', 'f000000.ts'), 'utf8')).not.toContain('changed by cairn-bench');
  });

  it('bigfile: backs up one file and reports time, throughput and peak RSS against the 300 MB target', async () => {
    const work = await tempDir();
    const run = await bench(['bigfile', '--size-gb', '0.02', '--work', work, '--no-install']);
    expect(run.code).toBe(0);
    expect(tableRow(run.stdout, 'backup')![1]).toMatch(seconds);
    expect(tableRow(run.stdout, 'throughput')![1]).toMatch(/^\d+ MB\/s$/);
    expect(tableRow(run.stdout, 'peak RSS')![1]).toMatch(/^\d+ MB$/);
    expect(tableRow(run.stdout, 'cairn target: peak RSS under 300 MB')![1]).toMatch(/^(met|MISSED)$/);
    const size = Math.round(0.02 * 2 ** 30);
    const repo = Number.parseFloat(tableRow(run.stdout, 'repository size')![1]!) * 1e6;
    expect(repo).toBeLessThan(size * 0.8); // compressible content
    expect(repo).toBeGreaterThan(size * 0.3); // but not repetitive
  });

  it('index-memory: bytes per entry, inserts/s and lookups/s (re-running itself with --expose-gc)', async () => {
    const dir = await tempDir();
    const json = join(dir, 'index.json');
    const run = await bench(['index-memory', '--entries', '200000', '--json', json]);
    expect(run.code).toBe(0);
    expect(tableRow(run.stdout, 'RAM per entry (heap + array buffers, after gc)')![1]).toMatch(/^\d+\.\d B$/);
    expect(tableRow(run.stdout, 'lookups, hits in random order')![1]).toMatch(/^\d+\.\d\d M\/s$/);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { entries: number; bytesPerEntry: number; ownBytesPerEntry: number; met: boolean };
    expect(out.entries).toBe(200_000);
    // The index holds a 32-byte id and 17 bytes of location per entry at least.
    expect(out.ownBytesPerEntry).toBeGreaterThan(49);
    expect(out.bytesPerEntry).toBeGreaterThan(40);
    expect(out.bytesPerEntry).toBeLessThan(200);
  });

  it('index-memory rejects a bad count', async () => {
    const run = await bench(['index-memory', '--entries', '0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--entries <n>.*whole number from 1/);
  });
});
