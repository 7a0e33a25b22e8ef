import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CairnError } from '@cairn/core';
import { reportError } from '../src/context.js';
import { cairn, jsonError, jsonSummary, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

/** A repository at <home>/repo with two snapshots of <home>/src (a few files, a symlink, a hardlink). */
async function setup(): Promise<{ home: string; repo: string; run: (...args: string[]) => Promise<Run>; ids: string[] }> {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home });
  expect((await run('init')).code).toBe(0);
  const src = join(home, 'src');
  await mkdir(join(src, 'sub', 'deeper'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'alpha\n');
  await writeFile(join(src, 'sub', 'b.bin'), Buffer.alloc(300_000, 7));
  await writeFile(join(src, 'sub', 'deeper', 'c.txt'), 'gamma\n'.repeat(100));
  await link(join(src, 'a.txt'), join(src, 'sub', 'a-link.txt'));
  await symlink('a.txt', join(src, 'to-a'));
  const ids: string[] = [];
  for (const time of ['2024-01-01T10:00:00Z', '2024-01-02T10:00:00Z']) {
    const made = await run('backup', src, '--json', '--time', time);
    expect(made.code, made.stderr).toBe(0);
    ids.push((jsonSummary(made.stdout) as { id: string }).id);
  }
  return { home, repo, run, ids };
}

/** The config fields the tests below spoil. */
interface EditableConfig {
  packSize: number;
  compression: { level: number };
  chunker: { min: number; avg: number; max: number };
}

/** Every file of the repository with a hash of its bytes: equal before and after means nothing changed. */
async function state(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out[relative(dir, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
    }
  };
  await walk(dir);
  return out;
}

/** Exit 1 with one `cairn: …` line (and at most a hint that is not "this is a bug") containing every fragment. */
function expectRefused(run: Run, ...fragments: string[]): void {
  expect(run.code, run.stderr).toBe(1);
  const [message, hint, ...rest] = run.stderr.trimEnd().split('\n');
  expect(message).toMatch(/^cairn: /);
  if (hint !== undefined) expect(hint).toMatch(/^hint: /);
  expect(rest, run.stderr).toEqual([]);
  for (const fragment of fragments) expect(run.stderr).toContain(fragment);
  expect(run.stderr).not.toMatch(/bug|NaN|BigInt|typed array/);
}

describe('bad input through the cairn command', () => {
  it('forget --keep-within beyond any date names the flag and value; nothing is forgotten', async () => {
    const { repo, run } = await setup();
    const before = await state(repo);
    expectRefused(await run('forget', '--keep-within', '99999999999y'), '--keep-within', '"99999999999y"', 'longer than 10000 years');
    expectRefused(await run('forget', '--keep-within', '1d1d'), '--keep-within', '"1d1d"');
    expectRefused(await run('config', 'retention', '--keep-within', '99999999999y'), '--keep-within', '"99999999999y"');
    expect(await state(repo)).toEqual(before);
  });

  it('--keep-* counts refuse negatives and fractions, in forget and in config retention', async () => {
    const { repo, run } = await setup();
    const before = await state(repo);
    const values = ['-1', '1.5', 'many', '99999999999999999999'];
    for (const [i, flag] of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'].entries()) {
      const value = values[i % values.length] ?? '-1';
      expectRefused(await run('forget', `--keep-${flag}`, '-1'), `--keep-${flag}`, '"-1"');
      expectRefused(await run('config', 'retention', `--keep-${flag}`, value), `--keep-${flag}`, JSON.stringify(value));
    }
    for (const value of values) expectRefused(await run('forget', '--keep-last', value, '--prune'), '--keep-last', JSON.stringify(value));
    expect(await state(repo)).toEqual(before);
    const json = await run('--json', 'forget', '--keep-last', '-1');
    expect(jsonError(json.stderr)).toMatchObject({ error: { code: 'ERR_USAGE' } });
  });

  it('--grace refuses negative and malformed durations, in prune and in forget (with or without --prune)', async () => {
    const { repo, run } = await setup();
    const before = await state(repo);
    expectRefused(await run('forget', '--keep-last', '1', '--grace', '-5'), '--grace', '"-5"');
    expectRefused(await run('forget', '--keep-last', '1', '--prune', '--grace', '-5'), '--grace', '"-5"');
    expectRefused(await run('forget', '--keep-last', '1', '--max-unused', '150%'), '--max-unused', '"150%"');
    expectRefused(await run('prune', '--grace', '-5'), '--grace', '"-5"');
    expectRefused(await run('prune', '--grace', '5'), '--grace', '"5"');
    expect(await state(repo)).toEqual(before);
  });

  it('backup "" is refused instead of backing up the current folder', async () => {
    const { home, repo, ids } = await setup();
    const before = await state(repo);
    const run = await cairn(['--repo', repo, 'backup', ''], { home, cwd: join(home, 'src') });
    expectRefused(run, 'backup', '""');
    expect(await state(repo)).toEqual(before);
    expect(await readdir(join(repo, 'snapshots'))).toHaveLength(ids.length);
    expectRefused(await cairn(['--repo', '', 'snapshots'], { home }), '--repo', '""');
  });

  it('a config with a value no backup can use is refused by backup and by check, naming the file, key and value', async () => {
    const { home, repo, run } = await setup();
    const original = await readFile(join(repo, 'config'), 'utf8');
    const cases: [(config: EditableConfig) => void, string][] = [
      [(c) => (c.packSize = 1e12), 'packSize is 1000000000000'],
      [(c) => (c.compression.level = 99), 'compression.level is 99'],
      [(c) => (c.chunker.max = 2 ** 31), 'chunker.max is 2147483648'],
      [(c) => (c.chunker.avg = c.chunker.min - 1), 'chunker.avg is 524287'],
    ];
    for (const [change, fragment] of cases) {
      const config = JSON.parse(original) as EditableConfig;
      change(config);
      await writeFile(join(repo, 'config'), JSON.stringify(config, null, 2));
      const before = await state(repo);
      for (const args of [['backup', join(home, 'src')], ['check'], ['check', '--read-data']]) {
        const result = await run(...args);
        expectRefused(result, `${join(repo, 'config')}: malformed config: ${fragment}`);
      }
      const json = await run('--json', 'check');
      expect(jsonError(json.stderr)).toMatchObject({ error: { code: 'ERR_FORMAT' } });
      expect(await state(repo)).toEqual(before);
    }
    await writeFile(join(repo, 'config'), original);
    expect((await run('check')).code).toBe(0);
  });

  it('every command refuses an extra argument in one line naming it', async () => {
    const { home, repo, run } = await setup();
    const before = await state(repo);
    const cases: [string[], string][] = [
      [['snapshots', 'extra'], 'snapshots: unexpected argument "extra"'],
      [['check', 'extra'], 'check: unexpected argument "extra"'],
      [['prune', 'extra'], 'prune: unexpected argument "extra"'],
      [['unlock', 'extra'], 'unlock: unexpected argument "extra"'],
      [['projects', 'extra'], 'projects: unexpected argument "extra"'],
      [['stats', 'latest', 'extra'], 'stats: unexpected argument "extra"'],
      [['ls', 'latest', 'src', 'extra'], 'ls: unexpected argument "extra"'],
      [['cat', 'config', 'extra'], 'unexpected argument "extra"'],
      [['cat', 'snapshot', 'latest', 'extra'], 'cat: unexpected argument "extra"'],
      [['config', 'extra'], 'config: unexpected argument "extra"'],
      [['config', 'max-size', '1G', 'extra'], 'config max-size: unexpected argument "extra"'],
      [['config', 'retention', 'extra', '--keep-last', '1'], 'config retention: unexpected argument "extra"'],
      [['repair', 'index', 'extra'], 'repair index: unexpected argument "extra"'],
      [['forget', '--keep-last', '1', '--dry-run'], ''],
    ];
    for (const [args, message] of cases) {
      const result = await run(...args);
      if (message === '') expect(result.code, result.stderr).toBe(0);
      else expectRefused(result, message);
    }
    expect(await state(repo)).toEqual(before);
    // init with an extra argument creates nothing.
    const other = join(home, 'other');
    expectRefused(await cairn(['--repo', other, 'init', 'extra'], { home }), 'init: unexpected argument "extra"');
    expect(existsSync(other)).toBe(false);
  });

  it('an unreadable snapshot file: latest is the newest readable one with a warning, and with none readable the files are named', async () => {
    const { repo, run, ids } = await setup();
    const [older, newer] = ids as [string, string];
    await writeFile(join(repo, 'snapshots', newer), 'not a snapshot');
    const ls = await run('ls', 'latest');
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toContain('src/a.txt');
    expect(ls.stderr).toContain(`warning: snapshots/${newer} cannot be read`);
    const stats = await run('stats', 'latest', '--json');
    expect(jsonSummary(stats.stdout)).toMatchObject({ id: older });
    await writeFile(join(repo, 'snapshots', older), 'not a snapshot either');
    const before = await state(repo);
    for (const args of [['ls', 'latest'], ['restore', 'latest', '--target', join(repo, '..', 'out')], ['stats', 'latest']]) {
      const none = await run(...args);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(`snapshots/${older} cannot be read`);
      expect(none.stderr).toContain(`snapshots/${newer} cannot be read`);
      expect(none.stderr).not.toContain('no snapshot yet');
    }
    const byPrefix = await run('ls', newer.slice(0, 8));
    expect(byPrefix.code).toBe(1);
    expect(byPrefix.stderr).toContain(`snapshots/${newer} cannot be read`);
    expect(await state(repo)).toEqual(before);
    expect(existsSync(join(repo, '..', 'out'))).toBe(false);
  });

  it('restore --dry-run counts what the restore then does: files, folders, symlinks, hardlinks and bytes', async () => {
    const { home, run } = await setup();
    const target = join(home, 'out');
    const summary = (stdout: string): string => {
      const line = stdout.split('\n').find((l) => /^(would restore|restored) /.test(l)) ?? '';
      return line.replace(/^(would restore|restored) /, '');
    };
    const dry = await run('restore', 'latest', '--target', target, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(existsSync(target)).toBe(false);
    const real = await run('restore', 'latest', '--target', target);
    expect(real.code, real.stderr).toBe(0);
    expect(summary(dry.stdout)).toBe(summary(real.stdout));
    expect(summary(real.stdout)).toMatch(/^3 files, \d+ folders, 1 symlinks, 1 hardlinks/);
    const dryJson = jsonSummary((await run('restore', 'latest', '--target', join(home, 'out2'), '--dry-run', '--json')).stdout) as Record<string, number>;
    const realJson = jsonSummary((await run('restore', 'latest', '--target', join(home, 'out2'), '--json')).stdout) as Record<string, number>;
    for (const key of ['files', 'dirs', 'symlinks', 'hardlinks', 'bytesWritten']) expect(dryJson[key], key).toBe(realJson[key]);
  });

  it('restore refuses an empty --target and an empty path, before writing anything', async () => {
    const { home, repo, run } = await setup();
    const before = await state(repo);
    expectRefused(await run('restore', 'latest', '--target', ''), '--target', '""');
    expectRefused(await run('restore', 'latest', '--target', join(home, 'out'), ''), 'the path ""');
    expectRefused(await run('restore', 'latest', '--target', join(home, 'out'), '/'), 'the path "/"');
    expect(existsSync(join(home, 'out'))).toBe(false);
    expect(await state(repo)).toEqual(before);
  });

  it('numeric and enum flags name the flag and the value', async () => {
    const { home, repo, run } = await setup();
    const before = await state(repo);
    const src = join(home, 'src');
    const cases: [string[], string[]][] = [
      [['backup', src, '--compression', 'best'], ['--compression', '"best"']],
      [['backup', src, '--vcs', 'some'], ['--vcs', '"some"']],
      [['backup', src, '--time', 'soon'], ['--time', '"soon"']],
      [['backup', src, '--time', '99999-01-01'], ['--time', '"99999-01-01"']],
      [['backup', src, '--meta', 'novalue'], ['--meta', '"novalue"']],
      [['check', '--read-data-subset', '300%'], ['--read-data-subset', '"300%"']],
      [['config', 'max-size', '12X'], ['max-size', '"12X"']],
      [['forget', '--keep-last', '1', '--group-by', 'colour'], ['--group-by', '"colour"']],
      [['restore', 'latest', '--target', join(home, 'out'), '--overwrite', 'sometimes'], ['--overwrite', '"sometimes"']],
      [['ls', 'zz'], ['"zz"', 'snapshot id']],
      [['cat', 'tree', 'zz'], ['"zz"']],
      [['device', 'ls', '--port', 'sim', '--timeout', '-1'], ['--timeout', '"-1"']],
      [['device', 'ls', '--port', 'sim', '--timeout', '1e10'], ['--timeout', '"1e10"']],
      [['device', 'ls', '--port', 'sim', '--baud', 'fast'], ['--baud', '"fast"']],
      [['device', 'ls', '--port', ''], ['--port', '""']],
      [['device', 'ls', '--port', 'sim', '--chunk-size', '1e9'], ['--chunk-size', '"1e9"']],
    ];
    for (const [args, fragments] of cases) expectRefused(await run(...args), ...fragments);
    expect(await state(repo)).toEqual(before);
    const other = join(home, 'other');
    expectRefused(await cairn(['--repo', other, 'init', '--compression-level', '99'], { home }), '--compression-level', '"99"');
    expectRefused(await cairn(['--repo', other, 'init', '--max-size', '-5'], { home }), '--max-size', '"-5"');
    expect(existsSync(other)).toBe(false);
  });
});

describe('reportError', () => {
  it('reports a stray TypeError or RangeError as a bug (ERR_INTERNAL with a hint), and ERR_USAGE as the user\'s mistake', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(reportError(new TypeError('Cannot read properties of undefined'), true)).toBe(1);
      expect(reportError(new RangeError('Invalid typed array length'), true)).toBe(1);
      expect(reportError(new CairnError('ERR_USAGE', '--keep-last wants a number'), true)).toBe(1);
      reportError(new RangeError('Invalid typed array length'), false);
    } finally {
      spy.mockRestore();
    }
    const [typeError, rangeError, usage] = written.slice(0, 3).map((line) => JSON.parse(line) as { error: { code: string; hint?: string } });
    expect(typeError?.error).toMatchObject({ code: 'ERR_INTERNAL', hint: expect.stringContaining('this is a bug in cairn') });
    expect(rangeError?.error).toMatchObject({ code: 'ERR_INTERNAL', hint: expect.stringContaining('this is a bug in cairn') });
    expect(usage?.error.code).toBe('ERR_USAGE');
    expect(usage?.error.hint).toBeUndefined();
    expect(written.slice(3).join('')).toBe('cairn: Invalid typed array length\nhint: this is a bug in cairn; run again with CAIRN_DEBUG=1 for the stack and report it\n');
  });
});
