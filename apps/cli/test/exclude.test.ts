import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, CLI, jsonItems, jsonSummary, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

/** The CACHEDIR.TAG signature of the Cache Directory Tagging Specification. */
const SIGNATURE = 'Signature: 8a477f597d28d172789f06886806bc55';

/** A tree with, for every flag, entries it leaves out and entries it keeps. */
const TREE: Record<string, string | Buffer> = {
  'a.txt': 'a',
  'app.log': 'log',
  'APP.LOG': 'LOG',
  'notes.Log': 'Log',
  'logs/x.txt': 'x',
  'sub/keep.c': 'c',
  'sub/deep/k.log': 'k',
  'sub/deep/k.txt': 'k',
  'Foo/bar.txt': 'bar',
  'cache/CACHEDIR.TAG': `${SIGNATURE}\n# a cache\n`,
  'cache/data.bin': 'data',
  'cache/inner/more.bin': 'more',
  'fake-cache/CACHEDIR.TAG': 'Signature: something else\n',
  'fake-cache/data.bin': 'data',
  'tagged/.nobackup': '',
  'tagged/secret.txt': 'secret',
  'sizes/under': Buffer.alloc(1023, 1),
  'sizes/exact': Buffer.alloc(1024, 2),
  'sizes/over': Buffer.alloc(1025, 3),
};

interface Skipped {
  readonly path: string;
  readonly class: string;
  readonly reason: string;
}

/** A home with a repository and the tree at <home>/src; `run` drives cairn with --repo. */
async function setup(): Promise<{ home: string; src: string; repo: string; run: (...args: string[]) => Promise<Run> }> {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home, cwd: home });
  expect((await run('init')).code).toBe(0);
  const src = join(home, 'src');
  for (const [path, content] of Object.entries(TREE)) {
    await mkdir(dirname(join(src, path)), { recursive: true });
    await writeFile(join(src, path), content);
  }
  return { home, src, repo, run };
}

/** Backs up with `flags` (no policy, so only the flags select) and returns what the snapshot holds (below "src/") and lists as skipped. */
async function backupWith(run: (...args: string[]) => Promise<Run>, src: string, ...flags: string[]): Promise<{ stored: string[]; skipped: Skipped[]; id: string }> {
  const made = await run('backup', src, '--json', '--no-policy', ...flags);
  expect(made.code, made.stderr).toBe(0);
  const result = jsonSummary(made.stdout) as { id: string; skipped: Skipped[] };
  return { stored: await listed(run, result.id), skipped: result.skipped, id: result.id };
}

/** The files and folders of a snapshot (folders end with '/'), from `cairn ls --json`. */
async function listed(run: (...args: string[]) => Promise<Run>, id: string): Promise<string[]> {
  const ls = await run('ls', id, '--json');
  expect(ls.code, ls.stderr).toBe(0);
  return (jsonItems(ls.stdout, 'entry') as { path: string; type: string }[]).map((entry) => `${entry.path}${entry.type === 'dir' ? '/' : ''}`);
}

/** Every file of the tree but `left`, as `ls` names them. */
function allFilesBut(...left: string[]): string[] {
  return Object.keys(TREE).filter((path) => !left.some((l) => path === l || path.startsWith(`${l}/`))).map((path) => `src/${path}`).sort();
}

function files(stored: readonly string[]): string[] {
  return stored.filter((path) => !path.endsWith('/')).sort();
}

/** Exit 1 with one `cairn: …` line (and at most a hint) containing every fragment. */
function expectRefused(run: Run, ...fragments: string[]): void {
  expect(run.code, run.stderr).toBe(1);
  const [message, hint, ...rest] = run.stderr.trimEnd().split('\n');
  expect(message).toMatch(/^cairn: /);
  if (hint !== undefined) expect(hint).toMatch(/^hint: /);
  expect(rest, run.stderr).toEqual([]);
  for (const fragment of fragments) expect(run.stderr).toContain(fragment);
  expect(run.stdout).toBe('');
}

describe('backup selection flags', () => {
  it('--exclude: a glob per component at any depth, a folder with everything below it, a leading / anchors', async () => {
    const { src, run } = await setup();
    const { stored, skipped } = await backupWith(run, src, '--exclude', '*.log', '-e', 'deep', '--exclude', `${src}/Foo`, '--exclude', '/Foo/bar.txt');
    expect(files(stored)).toEqual(allFilesBut('app.log', 'sub/deep', 'Foo'));
    expect(stored).not.toContain('src/Foo/');
    expect(stored).toContain('src/sub/');
    expect(skipped).toEqual(expect.arrayContaining([
      { path: '/src/app.log', class: 'excluded', reason: 'matches the exclude pattern "*.log"' },
      { path: '/src/sub/deep/', class: 'excluded', reason: 'matches the exclude pattern "deep"' },
      { path: '/src/Foo/', class: 'excluded', reason: `matches the exclude pattern "${src}/Foo"` },
    ]));
    expect(skipped).toHaveLength(3);
    // Human output lists them apart from the policy's.
    const human = await run('backup', src, '--exclude', '*.txt');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/excluded by the exclude flags: 5\n {2}\/src\/Foo\/bar\.txt {2}\[excluded\] matches the exclude pattern "\*\.txt"/);
  });

  it('--iexclude matches whatever the case; --exclude only the case given', async () => {
    const { src, run } = await setup();
    const insensitive = await backupWith(run, src, '--iexclude', '*.LOG');
    expect(files(insensitive.stored)).toEqual(allFilesBut('app.log', 'APP.LOG', 'notes.Log', 'sub/deep/k.log'));
    expect(insensitive.skipped.map((entry) => entry.reason)).toContain('matches the case-insensitive exclude pattern "*.LOG"');
    const sensitive = await backupWith(run, src, '--exclude', '*.LOG');
    expect(files(sensitive.stored)).toEqual(allFilesBut('APP.LOG'));
    const folder = await backupWith(run, src, '--iexclude', 'foo');
    expect(files(folder.stored)).toEqual(allFilesBut('Foo'));
  });

  it('--exclude-file and --iexclude-file: one pattern a line, # comments and blank lines ignored, $VAR expanded', async () => {
    const { home, src, run } = await setup();
    await writeFile(join(home, 'excludes'), '# build output\n\n*.log\n  sizes/over  \n\n# $HOME/src/Foo is kept\n$HOME/src/tagged\n');
    await writeFile(join(home, 'iexcludes'), '# case-insensitive\r\nA.TXT\r\n');
    const { stored, skipped } = await backupWith(run, src, '--exclude-file', join(home, 'excludes'), '--iexclude-file', join(home, 'iexcludes'));
    expect(files(stored)).toEqual(allFilesBut('app.log', 'sub/deep/k.log', 'sizes/over', 'tagged', 'a.txt'));
    expect(skipped.map((entry) => entry.reason)).toEqual(expect.arrayContaining([
      `matches the exclude pattern "${home}/src/tagged"`, 'matches the case-insensitive exclude pattern "A.TXT"',
    ]));
  });

  it('--exclude-if-present keeps only the marker in its folder; with a header, only when the file starts with it; --exclude-caches', async () => {
    const { src, run } = await setup();
    const plain = await backupWith(run, src, '--exclude-if-present', '.nobackup', '--exclude-if-present', 'CACHEDIR.TAG');
    expect(files(plain.stored)).toEqual(allFilesBut('tagged/secret.txt', 'cache/data.bin', 'cache/inner', 'fake-cache/data.bin'));
    expect(plain.stored).toEqual(expect.arrayContaining(['src/tagged/', 'src/tagged/.nobackup', 'src/cache/CACHEDIR.TAG']));
    expect(plain.skipped).toContainEqual({ path: '/src/tagged/secret.txt', class: 'excluded', reason: 'the folder holds ".nobackup"' });
    const header = await backupWith(run, src, '--exclude-if-present', `CACHEDIR.TAG:${SIGNATURE}`);
    expect(files(header.stored)).toEqual(allFilesBut('cache/data.bin', 'cache/inner'));
    expect(header.skipped).toContainEqual({ path: '/src/cache/inner/', class: 'excluded', reason: `the folder holds "CACHEDIR.TAG" starting with "${SIGNATURE}"` });
    const caches = await backupWith(run, src, '--exclude-caches');
    expect(files(caches.stored)).toEqual(files(header.stored));
  });

  it('--exclude-larger-than leaves out files above the size, keeps one of exactly that size', async () => {
    const { src, run } = await setup();
    const { stored, skipped } = await backupWith(run, src, '--exclude-larger-than', '1K');
    expect(files(stored)).toEqual(allFilesBut('sizes/over'));
    expect(skipped).toEqual([{ path: '/src/sizes/over', class: 'excluded', reason: '1.00 KiB (1025 bytes), larger than 1.00 KiB (1024 bytes)' }]);
    const bytes = await backupWith(run, src, '--exclude-larger-than', '1023');
    expect(files(bytes.stored)).toEqual(allFilesBut('sizes/over', 'sizes/exact'));
  });

  it('the exclude flags come before the policy: an entry both would leave out is listed as excluded', async () => {
    const { src, run } = await setup();
    await writeFile(join(src, 'package.json'), '{}');
    await mkdir(join(src, 'node_modules', 'left-pad'), { recursive: true });
    await writeFile(join(src, 'node_modules', 'left-pad', 'index.js'), 'x');
    const made = await run('backup', src, '--json', '--exclude', 'node_modules', '--exclude', '*.log');
    expect(made.code, made.stderr).toBe(0);
    const { skipped, id } = jsonSummary(made.stdout) as { skipped: Skipped[]; id: string };
    expect(skipped.find((entry) => entry.path === '/src/node_modules/')?.class).toBe('excluded');
    expect((await listed(run, id)).filter((path) => path.includes('node_modules') || path.endsWith('.log'))).toEqual([]);
    const stats = await run('stats', id);
    expect(stats.stdout).toContain('/src/app.log  [excluded] matches the exclude pattern "*.log"');
  });

  it('--files-from backs up the paths listed (comments and blank lines ignored, relative to the current folder, - for standard input)', async () => {
    const { home, src, repo, run } = await setup();
    await writeFile(join(home, 'list'), '# what matters\nsrc/a.txt\n\nsrc/sub\n');
    const made = await run('backup', '--files-from', 'list', '--json', '--no-policy', '--exclude', '*.log');
    expect(made.code, made.stderr).toBe(0);
    const result = jsonSummary(made.stdout) as { id: string; paths: string[] };
    expect(result.paths).toEqual([join(src, 'a.txt'), join(src, 'sub')]);
    expect(await listed(run, result.id)).toEqual(['a.txt', 'sub/', 'sub/deep/', 'sub/deep/k.txt', 'sub/keep.c']);
    const piped = spawnSync(process.execPath, [CLI, '--repo', repo, 'backup', '--files-from', '-', '--json'], {
      input: `${join(src, 'Foo')}\n`, cwd: home, env: { PATH: process.env['PATH'] ?? '', HOME: home }, encoding: 'utf8',
    });
    expect(piped.status, piped.stderr).toBe(0);
    expect(await listed(run, (jsonSummary(piped.stdout) as { id: string }).id)).toEqual(['Foo/', 'Foo/bar.txt']);
  });

  it('--one-file-system keeps a mount point below the path as an empty folder', async (context) => {
    const { src, run } = await setup();
    const mnt = join(src, 'mnt');
    await mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (error) {
      context.skip(`cannot mount a tmpfs (needs root): ${(error as { stderr?: Buffer }).stderr?.toString().trim() || String(error)}`);
      return;
    }
    try {
      await mkdir(join(mnt, 'inner'));
      await writeFile(join(mnt, 'inner', 'file'), 'on tmpfs');
      const crossing = await backupWith(run, src);
      expect(crossing.stored).toEqual(expect.arrayContaining(['src/mnt/', 'src/mnt/inner/', 'src/mnt/inner/file']));
      const { stored, skipped } = await backupWith(run, src, '--one-file-system');
      expect(stored).toContain('src/mnt/');
      expect(stored.filter((path) => path.startsWith('src/mnt/'))).toEqual(['src/mnt/']);
      expect(files(stored)).toEqual(allFilesBut());
      expect(skipped).toEqual([{ path: '/src/mnt/', class: 'excluded', reason: 'on another filesystem (one filesystem only): the folder is kept empty, its entries are not read' }]);
      const short = await backupWith(run, src, '-x');
      expect(short.stored).toEqual(stored);
      // The mount point itself as the path: its own filesystem is the one kept.
      const inside = await backupWith(run, mnt, '--one-file-system');
      expect(inside.stored).toEqual(['mnt/', 'mnt/inner/', 'mnt/inner/file']);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  });

  it('a dry run with the flags stores and skips what the real backup then does; --stdin takes no exclude flags', async () => {
    const { src, run } = await setup();
    const flags = ['--exclude', '*.log', '--exclude-if-present', '.nobackup', '--exclude-larger-than', '1K', '--no-policy'];
    const dry = await run('backup', src, '--dry-run', '--json', ...flags);
    expect(dry.code, dry.stderr).toBe(0);
    const report = jsonSummary(dry.stdout) as { stored: { path: string }[]; skipped: Skipped[] };
    const real = await backupWith(run, src, ...flags);
    expect(report.skipped).toEqual(real.skipped);
    expect(report.stored.map((entry) => entry.path.slice(1)).sort()).toEqual(files(real.stored));
    const human = await run('backup', src, '--dry-run', ...flags.slice(0, 2));
    expect(human.stdout).toContain('excluded by the exclude flags: 2');
    expect(human.stdout).not.toContain('skipped by policy');
    expectRefused(await run('backup', '--stdin', '--exclude', '*.log'), '--stdin', 'exclude flags');
  });

  it('bad values: one line naming the flag (and file and line), exit 1, no repository written', async () => {
    const { home, src } = await setup();
    const fresh = join(home, 'fresh');
    const run = (...args: string[]): Promise<Run> => cairn(['--repo', fresh, 'backup', ...args], { home, cwd: home });
    expectRefused(await run(src, '--exclude-larger-than', '10X'), '--exclude-larger-than', '"10X"', '10M');
    expectRefused(await run(src, '--exclude-larger-than', '-5'), '--exclude-larger-than', '"-5"');
    expectRefused(await run(src, '--exclude-file', join(home, 'missing')), '--exclude-file', join(home, 'missing'), 'no such file');
    expectRefused(await run(src, '--iexclude-file', join(home, 'missing')), '--iexclude-file', 'no such file');
    expectRefused(await run(src, '--exclude', 'a[b'), '--exclude', '"a[b"', 'never closed');
    expectRefused(await run(src, '--exclude', ''), '--exclude', 'empty');
    await writeFile(join(home, 'bad-excludes'), '*.log\n# fine\n[oops\n');
    expectRefused(await run(src, '--exclude-file', 'bad-excludes'), '--exclude-file bad-excludes line 3', '"[oops"');
    expectRefused(await run(src, '--exclude-if-present', ':header'), '--exclude-if-present', '":header"');
    expectRefused(await run('--files-from', 'missing-list'), '--files-from missing-list', 'no such file');
    await writeFile(join(home, 'list'), 'src/a.txt\n# c\nsrc/gone.txt\n');
    expectRefused(await run('--files-from', 'list'), '--files-from list line 3', 'src/gone.txt', 'no such file');
    expectRefused(await run(), 'give the files or folders to back up', '--files-from');
    expect(existsSync(fresh)).toBe(false);
    // Nothing in the existing repository changed either.
    expect(await readdir(join(home, 'repo', 'snapshots'))).toEqual([]);
  });
});
