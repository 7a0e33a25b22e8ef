import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAIRN_CLI } from '../src/cli-options.js';
import { FLOOR_ROWS, parseNoopCount, walkMismatch } from '../src/floor.js';
import { deriveFloor } from '../src/floor-report.js';
import { checkTmpfs } from '../src/target-dir.js';
import type { FloorSample } from '../src/floor.js';
import { bench, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

const shmIsTmpfs = await checkTmpfs().then(() => true, () => false);

interface FloorJson {
  corpus: { entries: number; bytes: number };
  samples: { row: string; seconds: number; peakRss: number; userSeconds: number; systemSeconds: number; count?: { entries: number; errors: number; bytes: number }; pipeline?: { files: number; bytes: number; chunks: number; compressed: number }; restored?: { files: number; folders: number; bytes: number }; noop?: { folders: number; entries: number; unchanged: number; changed: number; loadedMs: number } }[];
  skipped: { row: string; reason: string }[];
  mismatch: string | null;
}

/** A tree of 10 folders × 3 subfolders × 10 files, a symlink in each folder and an empty folder: returns its entry count and bytes. */
function makeTree(root: string): { entries: number; bytes: number } {
  let entries = 0;
  let bytes = 0;
  for (let a = 0; a < 10; a += 1) {
    const top = join(root, `dir-${a}`);
    mkdirSync(top, { recursive: true });
    symlinkSync('../dir-0', join(top, 'link'));
    entries += 2;
    for (let b = 0; b < 3; b += 1) {
      const sub = join(top, `sub-${b}`);
      mkdirSync(sub);
      entries += 1;
      for (let c = 0; c < 10; c += 1) {
        const content = `file ${a}/${b}/${c}\n`.repeat(1 + a * b * c);
        writeFileSync(join(sub, `f-${c}.txt`), content);
        entries += 1;
        bytes += Buffer.byteLength(content);
      }
    }
  }
  mkdirSync(join(root, 'empty'));
  return { entries: entries + 1, bytes };
}

describe('cairn-bench floor', () => {
  it('measures every floor on a small tree; the C and Node walks count the same entries; nothing is left behind', async () => {
    const dir = await tempDir();
    const corpus = join(dir, 'corpus');
    const tree = makeTree(corpus);
    const work = join(dir, 'work');
    const json = join(dir, 'floor.json');
    const run = await bench(['floor', '--corpus', corpus, '--reps', '1', '--work', work, '--json', json, '--no-install']);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`corpus: ${corpus}; ${tree.entries} entries below it (every walk agrees)`);
    for (const row of FLOOR_ROWS) {
      const cells = tableRow(run.stdout, row.label);
      expect(cells, row.label).toBeDefined();
      expect(cells![1], row.label).toMatch(/^\d+\.\d+ s$/);
      expect(cells![2], row.label).toMatch(/^\d+\.\d+ s$/);
      expect(cells![3], row.label).toMatch(/^\d+ MB$/);
    }
    // What cairn's lstats through /proc cost over fstatat, said under the table.
    expect(run.stdout).toMatch(/^lstat through the open folder's \/proc\/PID\/fd entry, over fstatat \(cairn's walk over the least one\): [+−]\d+\.\d+ s wall/m);
    const out = JSON.parse(readFileSync(json, 'utf8')) as FloorJson;
    expect(out.skipped).toEqual([]);
    expect(out.mismatch).toBeNull();
    expect(out.samples.map((s) => s.row)).toEqual(FLOOR_ROWS.map((row) => row.key));
    for (const sample of out.samples) {
      expect(sample.seconds, sample.row).toBeGreaterThan(0);
      expect(sample.peakRss, sample.row).toBeGreaterThan(0);
      // GNU time counts CPU in hundredths: a C walk of 300 files may take none; Node never does.
      expect(sample.userSeconds + sample.systemSeconds, sample.row).toBeGreaterThanOrEqual(0);
      if (sample.row.startsWith('node') || sample.row === 'cairn-help') expect(sample.userSeconds + sample.systemSeconds, sample.row).toBeGreaterThan(0);
    }
    const walks = out.samples.filter((s) => FLOOR_ROWS.find((row) => row.key === s.row)?.walk !== undefined);
    expect(walks.map((s) => s.row)).toEqual(['c-walk-xattr', 'c-walk', 'c-walk-proc-xattr', 'c-walk-proc', 'node-walk', 'c-walk-read']);
    for (const sample of walks) expect(sample.count, sample.row).toMatchObject({ entries: tree.entries, errors: 0 });
    expect(walks.find((s) => s.row === 'c-walk-read')!.count!.bytes).toBe(tree.bytes);
    expect(out.corpus).toMatchObject({ entries: tree.entries, bytes: tree.bytes });
    // The Node pipeline read every file (300, one chunk each: all are below the chunker's minimum) and compressed them.
    const pipeline = out.samples.find((s) => s.row === 'node-pipeline')!.pipeline!;
    expect(pipeline).toMatchObject({ files: 300, bytes: tree.bytes, chunks: 300 });
    expect(pipeline.compressed).toBeGreaterThan(0);
    expect(pipeline.compressed).toBeLessThan(tree.bytes);
    // The same with packs written: the same chunks, in one pack file (a few KB), and every entry's attributes asked for (none here).
    expect(out.samples.find((s) => s.row === 'node-pipeline-packs')!.pipeline!).toEqual({ ...pipeline, packs: 1, attributes: 0 });
    expect(run.stdout).toMatch(/^the Node pipeline over tar \| zstd -3 -T0 .*: [+−]\d+\.\d+ s wall/m);
    // The Node restore wrote every file and folder of the tree (its 300 files, 10 × 4 folders and the empty one).
    expect(out.samples.find((s) => s.row === 'node-restore')!.restored).toEqual({ files: 300, folders: 41, bytes: tree.bytes });
    expect(run.stdout).toMatch(/^the Node restore over tar -c \| tar -xp .*: [+−]\d+\.\d+ s wall/m);
    // The Node no-op floor compared every entry of the tree with the snapshot the run made: its 300
    // files and 10 symlinks unchanged, in 42 folders (the corpus's own among them).
    expect(out.samples.find((s) => s.row === 'node-noop')!.noop).toMatchObject({ folders: 42, entries: tree.entries, unchanged: 310, changed: 0 });
    expect(run.stdout).toMatch(/^cairn's no-op over its Node floor .*: [+−]\d+\.\d+ s wall/m);
    expect(run.stdout).toMatch(/^no-op wall time over restic's: the Node floor \d+\.\d\d× \(its work alone, .*: \d+\.\d\d×\), cairn \d+\.\d\d×$/m);
    // The restore copies, the no-op rows' repositories and the compiled walk went with the run's folder.
    expect(readdirSync(work)).toEqual([]);
    // One idle Worker costs memory over bare node; the CLI's code more again.
    const rss = (key: string): number => out.samples.find((s) => s.row === key)!.peakRss;
    expect(rss('node-worker')).toBeGreaterThan(rss('node'));
    expect(rss('cairn-help')).toBeGreaterThan(rss('node'));
  });

  it('skips the C walks with a clear line when there is no compiler, and still runs the Node walk', async () => {
    const dir = await tempDir();
    const corpus = join(dir, 'corpus');
    const tree = makeTree(corpus);
    const empty = join(dir, 'no-tools');
    mkdirSync(empty);
    const json = join(dir, 'floor.json');
    const run = await bench(['floor', '--corpus', corpus, '--reps', '1', '--work', join(dir, 'work'), '--json', json, '--no-install'], { ...process.env, PATH: empty });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('skipped: c-walk: no C compiler on PATH (tried cc, gcc, clang, g++)');
    expect(tableRow(run.stdout, 'no-op floor: C walk, fstatat')![1]).toMatch(/^skipped: no C compiler/);
    expect(tableRow(run.stdout, 'restore floor: cp -a')![1]).toBe('skipped: cp not on PATH');
    const out = JSON.parse(readFileSync(json, 'utf8')) as FloorJson;
    expect(out.samples.map((s) => s.row)).toEqual(['node-restore', 'node-walk', 'node-noop', 'cairn-noop', 'node-pipeline', 'node-pipeline-packs', 'node', 'node-worker', 'cairn-help']);
    expect(run.stdout).toContain('skipped: restic-noop: restic not on PATH');
    expect(out.samples.find((s) => s.row === 'node-walk')!.count!.entries).toBe(tree.entries);
  });

  it('skips the no-op rows, naming the step, when the CLI cannot make their repository', async () => {
    const dir = await tempDir();
    const corpus = join(dir, 'corpus');
    makeTree(corpus);
    // A CLI that answers --help and refuses everything else, as a broken build might.
    const cli = join(dir, 'fake-cairn.mjs');
    writeFileSync(cli, "if (process.argv[2] === '--help') console.log('usage'); else { console.error('cairn: cannot create the repository'); process.exit(1); }\n");
    const json = join(dir, 'floor.json');
    const run = await bench(['floor', '--corpus', corpus, '--reps', '1', '--work', join(dir, 'work'), '--json', json, '--cairn-cli', cli, '--no-install']);
    expect(run.code).toBe(0);
    const reason = `cairn init of the corpus into ${join(dir, 'work')}`;
    expect(tableRow(run.stdout, 'no-op floor: Node, the repository and the parent\'s trees read')![1]).toContain(`skipped: ${reason}`);
    expect(run.stdout).toMatch(/^skipped: node-noop: cairn init of the corpus into .*noop-cairn exited 1: cairn: cannot create the repository$/m);
    expect(run.stdout).toMatch(/^skipped: cairn-noop: cairn init .* exited 1/m);
    const out = JSON.parse(readFileSync(json, 'utf8')) as FloorJson;
    expect(out.samples.map((s) => s.row)).not.toContain('node-noop');
    expect(out.samples.map((s) => s.row)).toContain('restic-noop');
    expect(readdirSync(join(dir, 'work'))).toEqual([]);
  });

  it('measures the cairn no-op that exits 3 (a snapshot made, some files unreadable), as it takes restic\'s', async () => {
    const dir = await tempDir();
    const corpus = join(dir, 'corpus');
    makeTree(corpus);
    // The built CLI, whose backups answer 3 as they do when some files cannot be read (as root, every file here can).
    const cli = join(dir, 'partial-cairn.mjs');
    writeFileSync(cli, [
      "import { spawnSync } from 'node:child_process';",
      `const run = spawnSync(process.execPath, [${JSON.stringify(DEFAULT_CAIRN_CLI)}, ...process.argv.slice(2)], { stdio: 'inherit' });`,
      "process.exit(run.status === 0 && process.argv[2] === 'backup' ? 3 : run.status ?? 1);",
    ].join('\n'));
    const json = join(dir, 'floor.json');
    const run = await bench(['floor', '--corpus', corpus, '--reps', '1', '--work', join(dir, 'work'), '--json', json, '--cairn-cli', cli, '--no-install']);
    expect(run.stderr).not.toMatch(/exit code 3/);
    expect(run.code).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8')) as FloorJson;
    expect(out.samples.map((s) => s.row)).toEqual(expect.arrayContaining(['node-noop', 'cairn-noop']));
    expect(tableRow(run.stdout, 'no-op: cairn backup --no-policy --vcs off, the same repository (beside its floor)')![1]).toMatch(/^\d+\.\d+ s$/);
  });

  it.skipIf(!shmIsTmpfs)('with --target-tmpfs writes the restore floors under /dev/shm and removes them', async () => {
    const dir = await tempDir();
    const corpus = join(dir, 'corpus');
    makeTree(corpus);
    const json = join(dir, 'floor.json');
    const run = await bench(['floor', '--corpus', corpus, '--reps', '1', '--work', join(dir, 'work'), '--json', json, '--target-tmpfs', '--no-install']);
    expect(run.code).toBe(0);
    const out = JSON.parse(readFileSync(json, 'utf8')) as FloorJson & { target: { tmpfs: boolean; dir: string } };
    expect(out.target.tmpfs).toBe(true);
    expect(out.target.dir.startsWith('/dev/shm/cairn-bench-')).toBe(true);
    expect(run.stdout).toContain(`restore floors on tmpfs (${out.target.dir})`);
    expect(tableRow(run.stdout, 'restore floor: tar -c → tar -xp')![1]).toMatch(/^\d+\.\d+ s$/);
    expect(existsSync(out.target.dir)).toBe(false);
  });

  it('refuses a work folder inside the corpus', async () => {
    const dir = await tempDir();
    const run = await bench(['floor', '--corpus', dir, '--work', join(dir, 'work'), '--no-install']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`is inside the corpus folder ${dir}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads the Node no-op floor\'s line, and puts the no-op rows over restic\'s', () => {
    expect(parseNoopCount('folders 3515 entries 58728 unchanged 55213 changed 0 loaded 171\n')).toEqual({ folders: 3515, entries: 58728, unchanged: 55213, changed: 0, loadedMs: 171 });
    expect(parseNoopCount('folders 3515 entries 58728 unchanged 55213 changed 0\n')).toBeUndefined();
    const m = (seconds: number, cpuSeconds: number) => ({ seconds, cpuSeconds, peakRss: 1 });
    const derived = deriveFloor({ 'node-noop': m(0.6, 0.8), 'cairn-noop': m(0.7, 0.95), 'restic-noop': m(2, 2.5), node: m(0.05, 0.04) }, undefined, 0.17);
    expect(derived.noopOverFloor!.seconds).toBeCloseTo(0.1, 10);
    expect(derived.noopOverFloor!.cpuSeconds).toBeCloseTo(0.15, 10);
    expect(derived.noopRatios!.floor).toBeCloseTo(0.3, 10);
    expect(derived.noopRatios!.cairn).toBeCloseTo(0.35, 10);
    // Less the floor's own 0.17 s of start-up and loading, plus bare node's 0.05 s.
    expect(derived.noopRatios!.floorWork).toBeCloseTo(0.24, 10);
    // Without restic's row there is no ratio; without the loading figure, no floorWork.
    expect(deriveFloor({ 'node-noop': m(0.6, 0.8), 'cairn-noop': m(0.7, 0.95) }, undefined).noopRatios).toBeUndefined();
    expect(deriveFloor({ 'node-noop': m(0.6, 0.8), 'restic-noop': m(2, 2.5), node: m(0.05, 0.04) }, undefined).noopRatios).toEqual({ floor: 0.3 });
  });

  it('names the walks whose entry counts disagree', () => {
    const sample = (row: string, rep: number, entries: number): FloorSample => ({ rep, row, seconds: 0.1, peakRss: 1, userSeconds: 0, systemSeconds: 0, count: { entries, errors: 0, bytes: 0, xattrBytes: 0 } });
    expect(walkMismatch([sample('c-walk', 1, 10), sample('node-walk', 1, 10), sample('c-walk', 2, 10)])).toBeUndefined();
    expect(walkMismatch([sample('c-walk', 1, 10), sample('node-walk', 1, 9)])).toBe(
      'the walks disagree: no-op floor: C walk, fstatat counted 10 entries in rep 1, no-op floor: Node walk, readdirSync + lstatSync 9 in rep 1',
    );
  });
});
