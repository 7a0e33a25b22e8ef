import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cairn, jsonItems, jsonSummary, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

const exec = promisify(execFile);

async function setup() {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home });
  expect((await run('init')).code).toBe(0);
  const backup = async (dir: string, ...args: string[]): Promise<string> => {
    const done = await run('backup', '--json', '--quiet', dir, ...args);
    expect(done.code, done.stderr).toBe(0);
    return (jsonSummary(done.stdout) as { id: string }).id;
  };
  return { home, run, backup };
}

interface Span {
  readonly path: string;
  readonly introduced: { readonly id: string };
  readonly last: { readonly id: string };
  readonly removed: { readonly id: string } | null;
}

describe('cairn grep', () => {
  it('prints each matching path once per content with the snapshots holding it; -c, -l, -n, --introduced, JSON Lines', async () => {
    const { home, run, backup } = await setup();
    const proj = join(home, 'proj');
    await mkdir(proj);
    await writeFile(join(proj, 'a.js'), 'a\nb eval(x)\nc\n');
    await writeFile(join(proj, 'b.js'), 'nothing\n');
    const s1 = await backup(proj, '--time', '2024-01-01T00:00:00Z');
    await writeFile(join(proj, 'a.js'), 'a\nc\n');
    const s2 = await backup(proj, '--time', '2024-01-02T00:00:00Z');
    await writeFile(join(proj, 'a.js'), 'z eval(y)\n');
    const s3 = await backup(proj, '--time', '2024-01-03T00:00:00Z');
    const s4 = await backup(proj, '--time', '2024-01-04T00:00:00Z');

    const text = await run('grep', '-n', '-F', 'eval(');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(`proj/a.js (in ${s1.slice(0, 8)})\n2:b eval(x)\nproj/a.js (in ${s3.slice(0, 8)}, +1 more)\n1:z eval(y)\n`);
    expect((await run('grep', '-c', 'eval', '*.js')).stdout).toBe(`proj/a.js (in ${s1.slice(0, 8)}): 1\nproj/a.js (in ${s3.slice(0, 8)}, +1 more): 1\n`);
    expect((await run('grep', '-l', 'noth', '--snapshot', s2.slice(0, 6))).stdout).toBe(`proj/b.js (in ${s2.slice(0, 8)})\n`);

    const json = await run('--json', 'grep', '-F', 'eval(');
    const matches = jsonItems(json.stdout, 'match') as { path: string; snapshots: { id: string }[]; lines: unknown[] }[];
    expect(matches.map((m) => m.snapshots.map((s) => s.id))).toEqual([[s1], [s3, s4]]);
    const summary = jsonSummary(json.stdout) as { snapshots: number; contents: number; matchingFiles: number; bytesDecompressed: number; logicalBytes: number };
    expect(summary).toMatchObject({ snapshots: 4, contents: 4, matchingFiles: 2 });
    expect(summary.bytesDecompressed).toBeLessThan(summary.logicalBytes);

    const spans = jsonItems((await run('--json', 'grep', '-F', '--introduced', 'eval(')).stdout, 'span') as Span[];
    expect(spans.map((s) => [s.introduced.id, s.last.id, s.removed?.id ?? null])).toEqual([[s1, s1, s2], [s3, s4, null]]);
    const removed = await run('grep', '-F', '--removed', 'eval(');
    expect(removed.stdout).toContain(`removed ${s2.slice(0, 8)}`);
    expect(removed.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a bad regular expression, a bad snapshot id and an unknown host: one-line error, exit 1', async () => {
    const { home, run, backup } = await setup();
    await mkdir(join(home, 'p'));
    await writeFile(join(home, 'p', 'f.txt'), 'x\n');
    await backup(join(home, 'p'));
    const bad = await run('grep', 'a(b');
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n')[0]).toBe('cairn: bad regular expression "a(b": Unterminated group');
    const noSnapshot = await run('grep', 'x', '--snapshot', 'ffff');
    expect(noSnapshot.code).toBe(1);
    expect(noSnapshot.stderr).toContain('no snapshot has an id starting with "ffff"');
    expect((await run('grep', 'x', '--snapshot', 'zz')).code).toBe(1);
    expect((await run('grep', 'x', '--host', 'nobody')).code).toBe(1);
    expect((await run('grep', 'x', '--max-count', 'lots')).code).toBe(1);
  });

  it('searches more than a batch (the worker threads) as it searches less; a damaged blob: an error naming the blob and a file holding it, exit 1', async () => {
    const { home, run, backup } = await setup();
    const proj = join(home, 'proj');
    await mkdir(proj);
    // Three files of random hex lines, ~2.4 MB stored: more than one batch, so the search runs in the workers.
    for (const n of [1, 2, 3]) {
      const lines = Array.from({ length: 25_000 }, (_, i) => (i % 1000 === 7 && n !== 2 ? `${randomBytes(20).toString('hex')} marker-${n}` : randomBytes(32).toString('hex')));
      await writeFile(join(proj, `big${n}.txt`), `${lines.join('\n')}\n`);
    }
    await backup(proj);
    const found = await run('grep', '-c', '-F', 'marker-');
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout.split('\n').filter(Boolean).map((line) => line.replace(/ \(in [0-9a-f]+\)/, ''))).toEqual(['proj/big1.txt: 25', 'proj/big3.txt: 25']);

    // Damage the middle of the largest pack (a data pack: the trees are a few hundred bytes).
    const packs: { file: string; size: number }[] = [];
    for (const sub of await readdir(join(home, 'repo', 'data'))) {
      for (const name of await readdir(join(home, 'repo', 'data', sub))) packs.push({ file: join(home, 'repo', 'data', sub, name), size: (await stat(join(home, 'repo', 'data', sub, name))).size });
    }
    const largest = packs.sort((a, b) => b.size - a.size)[0]!;
    const bytes = await readFile(largest.file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(largest.file, bytes);
    const damaged = await run('grep', '-c', '-F', 'marker-');
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/^cairn: data blob [0-9a-f]{64}\b.*\(file proj\/big[123]\.txt\)/);
  });

  it('on the releases of an npm package, --introduced names the release that added a line and --removed the one that dropped it', async (context) => {
    // ms: 2.1.0 added weeks ("var w = d * 7") and rewrote the end of fmtLong ("return plural(ms, d, 'day') ||").
    const versions = ['0.7.1', '0.7.2', '0.7.3', '1.0.0', '2.0.0', '2.1.0', '2.1.1', '2.1.2', '2.1.3'];
    const { home, run, backup } = await setup();
    const tarballs = join(home, 'tarballs');
    await mkdir(tarballs);
    try {
      await exec('npm', ['pack', ...versions.map((v) => `ms@${v}`), '--silent'], { cwd: tarballs, timeout: 60_000 });
    } catch (error) {
      context.skip(`the npm registry cannot be reached (${String(error).split('\n')[0]})`);
      return;
    }
    const work = join(home, 'ms');
    const ids = new Map<string, string>();
    for (const [i, version] of versions.entries()) {
      await rm(work, { recursive: true, force: true });
      await mkdir(work);
      await exec('tar', ['-xzmf', join(tarballs, `ms-${version}.tgz`), '-C', work]);
      ids.set(version, await backup(work, '--time', `2020-01-${String(i + 1).padStart(2, '0')}T00:00:00Z`));
    }
    const introduced = jsonItems((await run('--json', 'grep', '-F', '--introduced', 'var w = d * 7')).stdout, 'span') as Span[];
    expect(introduced.map((s) => [s.path, s.introduced.id, s.removed])).toEqual([['ms/package/index.js', ids.get('2.1.0'), null]]);
    const dropped = jsonItems((await run('--json', 'grep', '-F', '--removed', "return plural(ms, d, 'day') ||", 'ms/package')).stdout, 'span') as Span[];
    expect(dropped.map((s) => [s.path, s.last.id, s.removed?.id])).toEqual([['ms/package/index.js', ids.get('2.0.0'), ids.get('2.1.0')]]);
  });
});
