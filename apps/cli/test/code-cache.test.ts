import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './run-cli.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const MODULE = pathToFileURL(join(DIST, 'code-cache.js')).href;
/** The installed command: the launcher, which runs dist/cairn-main.cjs with the code cache. */
const BIN = join(DIST, 'cairn.js');

/** Runs `node file args…` with the cache under `cache` (XDG_CACHE_HOME) and `env` added. */
function node(file: string, args: readonly string[], cache: string, env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [file, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME: dirname(cache), XDG_CACHE_HOME: cache, XDG_DATA_HOME: join(dirname(cache), 'data'), ...env },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The files under `cache`/cairn/code, as `version/name` paths. */
async function cacheFiles(cache: string): Promise<string[]> {
  const root = join(cache, 'cairn', 'code');
  const found: string[] = [];
  for (const version of await readdir(root).catch(() => [] as string[])) {
    for (const name of await readdir(join(root, version))) found.push(`${version}/${name}`);
  }
  return found.sort();
}

/** Writes `lines` to `file`, one a line. */
async function writeLines(file: string, lines: readonly string[]): Promise<void> {
  await writeFile(file, `${lines.join('\n')}\n`);
}

/**
 * A CommonJS script that uses what a module has (require, module, __filename, __dirname), and a
 * runner that runs it through runWithCodeCache with the arguments after it and prints how the
 * cache was used.
 */
async function scriptAndRunner(dir: string): Promise<{ script: string; runner: string }> {
  const script = join(dir, 'script.cjs');
  await writeLines(script, [
    '#!/usr/bin/env node',
    "const { basename } = require('node:path');",
    'module.exports.name = basename(__filename);',
    'function square(n) { return n * n; }',
    "console.log(`ran ${module.exports.name} in ${basename(__dirname)}: ${square(7)}`);",
    // What the CLI's heap flags do (heap-flags.ts): flags of V8 changed while running.
    "if (process.env.CHANGE_FLAG === '1') require('node:v8').setFlagsFromString('--semi-space-growth-factor=1');",
    "if (process.env.CHANGE_FLAG === '1') require('node:v8').setFlagsFromString('--heap-growing-percent=100');",
  ]);
  const runner = join(dir, 'runner.mjs');
  await writeLines(runner, [
    `import { codeCacheFile, runWithCodeCache } from ${JSON.stringify(MODULE)};`,
    `const script = ${JSON.stringify(script)};`,
    'const use = runWithCodeCache(script, codeCacheFile(script, process.argv.slice(2)));',
    "console.log(`cache: ${use}`);",
  ]);
  return { script, runner };
}

describe('the compiled code kept between runs', () => {
  it('runs a script as a module, writes its code as it exits, and compiles from the cache the next time', async () => {
    const dir = await tempDir();
    const cache = join(dir, 'cache');
    const { runner } = await scriptAndRunner(dir);

    const first = node(runner, ['backup'], cache);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(`ran script.cjs in ${dir.split('/').at(-1)}: 49`);
    expect(first.stdout).toContain('cache: none');
    const files = await cacheFiles(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^node${process.versions.node.replaceAll('.', '\\.')}-.*/backup\\.v8$`));
    const file = join(cache, 'cairn', 'code', files[0]!);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const written = await readFile(file);

    const second = node(runner, ['backup'], cache);
    expect(second.stdout).toContain('ran script.cjs');
    expect(second.stdout).toContain('cache: accepted');
    // Accepted: not written again.
    expect(await readFile(file)).toEqual(written);

    // Each command has its own.
    expect(node(runner, ['restore', '--json'], cache).stdout).toContain('cache: none');
    expect((await cacheFiles(cache)).map((name) => name.split('/')[1])).toEqual(['backup.v8', 'restore.v8']);
  });

  it('compiles from source when the cache is damaged, and writes a good one', async () => {
    const dir = await tempDir();
    const cache = join(dir, 'cache');
    const { runner } = await scriptAndRunner(dir);
    node(runner, ['ls'], cache);
    const file = join(cache, 'cairn', 'code', (await cacheFiles(cache))[0]!);
    const good = await readFile(file);
    const damaged = Buffer.from(good);
    damaged.fill(0x5a, 16, 64);
    await writeFile(file, damaged);

    const run = node(runner, ['ls'], cache);
    expect(run.stdout).toContain('ran script.cjs');
    expect(run.stdout).toContain('cache: rejected');
    expect(await readFile(file)).not.toEqual(damaged);
    expect(node(runner, ['ls'], cache).stdout).toContain('cache: accepted');
  });

  it('makes a cache the next run accepts when the run changed flags of V8 (the heap growth, the young-generation cap)', async () => {
    const dir = await tempDir();
    const cache = join(dir, 'cache');
    const { runner } = await scriptAndRunner(dir);
    expect(node(runner, ['backup'], cache, { CHANGE_FLAG: '1' }).stdout).toContain('cache: none');
    expect(node(runner, ['backup'], cache, { CHANGE_FLAG: '1' }).stdout).toContain('cache: accepted');
  });

  it('keeps the folder of the script as it is now: the caches of another build are removed', async () => {
    const dir = await tempDir();
    const cache = join(dir, 'cache');
    const { script, runner } = await scriptAndRunner(dir);
    node(runner, ['backup'], cache);
    const [before] = await cacheFiles(cache);
    // A rebuilt script: its length (and its change time) differ.
    await writeFile(script, `${await readFile(script, 'utf8')}// rebuilt\n`);
    expect(node(runner, ['backup'], cache).stdout).toContain('cache: none');
    const after = await cacheFiles(cache);
    expect(after).toHaveLength(1);
    expect(after[0]!.split('/')[0]).not.toBe(before!.split('/')[0]);
  });

  it('runs without a cache where none can be written, and with CAIRN_CODE_CACHE=off', async () => {
    const dir = await tempDir();
    const { runner } = await scriptAndRunner(dir);
    // The cache's folder would be under a file.
    await writeFile(join(dir, 'not-a-folder'), 'x');
    const blocked = node(runner, ['backup'], join(dir, 'not-a-folder'));
    expect(blocked).toMatchObject({ code: 0, stderr: '' });
    expect(blocked.stdout).toContain('ran script.cjs');

    const cache = join(dir, 'cache');
    const off = node(runner, ['backup'], cache, { CAIRN_CODE_CACHE: 'off' });
    expect(off.stdout).toContain('ran script.cjs');
    expect(off.stdout).toContain('cache: none');
    expect(await cacheFiles(cache)).toEqual([]);
  });
});

describe('the installed command (the launcher and its bundle)', () => {
  it('backs up, lists and restores with a cache of its compiled code, the same as without one', async () => {
    const dir = await tempDir();
    const cache = join(dir, 'cache');
    const source = join(dir, 'source');
    await mkdir(join(source, 'sub'), { recursive: true });
    await writeFile(join(source, 'a.txt'), 'alpha\n');
    await writeFile(join(source, 'sub', 'b.txt'), 'beta\n');
    const repo = join(dir, 'repo');

    expect(node(BIN, ['--version'], cache).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(node(BIN, ['init', '-r', repo], cache).code).toBe(0);
    for (const round of [1, 2]) {
      const backup = node(BIN, ['backup', '-r', repo, '-q', source], cache);
      expect(backup, `backup ${round}`).toMatchObject({ code: 0, stderr: '' });
    }
    expect((await cacheFiles(cache)).map((name) => name.split('/')[1])).toEqual(['backup.v8', 'default.v8', 'init.v8']);
    const ls = node(BIN, ['ls', '-r', repo, 'latest'], cache);
    expect(ls.stdout).toContain('sub/b.txt');
    const target = join(dir, 'restored');
    expect(node(BIN, ['restore', '-r', repo, 'latest', '-t', target], cache).code).toBe(0);
    expect(await readFile(join(target, 'source', 'sub', 'b.txt'), 'utf8')).toBe('beta\n');

    const uncached = node(BIN, ['ls', '-r', repo, 'latest'], cache, { CAIRN_CODE_CACHE: 'off' });
    expect(uncached.stdout).toBe(ls.stdout);
  }, 60_000);

  it('starts without loading what only a few commands use (HTTP, archives, diff, schedules, progress bars)', async () => {
    const dir = await tempDir();
    const preload = join(dir, 'modules.cjs');
    await writeLines(preload, [
      "const Module = require('node:module');",
      'const load = Module._load;',
      'const seen = new Set();',
      'Module._load = function (request) { seen.add(request); return load.apply(this, arguments); };',
      "process.on('exit', () => process.stderr.write(JSON.stringify([...seen])));",
    ]);
    const run = spawnSync(process.execPath, ['--require', preload, BIN, '--version'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') } });
    const loaded = JSON.parse(run.stderr) as string[];
    expect(loaded).toContain('commander');
    const lazy = ['node:http', 'node:https', 'node:http2', 'http', 'https', 'http2', 'tar', 'tar/header', 'tar-stream', 'yazl', 'yauzl', 'diff', 'croner', 'cli-progress', 'bcryptjs', 'ssh2', 'serialport', '@parcel/watcher', '@aws-sdk/client-s3'];
    expect(loaded.filter((request) => lazy.includes(request))).toEqual([]);
    // msgpackr decodes in JavaScript: its native decoder is not worth its 5 ms of start-up.
    expect(loaded).toContain('msgpackr');
    expect(loaded).not.toContain('msgpackr-extract');
  });

  it('loads an ES module with a top-level await (the simulated board) through the launcher', async () => {
    const dir = await tempDir();
    const board = join(dir, 'board');
    await mkdir(join(board, 'lib'), { recursive: true });
    await writeFile(join(board, 'main.py'), 'print("hi")\n');
    const ls = node(BIN, ['device', 'ls', '--port', 'sim', '--sim-root', board], join(dir, 'cache'));
    expect(ls).toMatchObject({ code: 0 });
    expect(ls.stdout).toContain('main.py');
  }, 60_000);
});
