import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonError, jsonItems, jsonLines, jsonSummary, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

/** Two snapshots of proj with one of each change between them, and a third of another folder (so `latest --path` matters). */
async function setup() {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home });
  const proj = join(home, 'proj');
  const other = join(home, 'other');
  await mkdir(join(proj, 'sub'), { recursive: true });
  await mkdir(other);
  await writeFile(join(other, 'o.txt'), 'other\n');
  await writeFile(join(proj, 'keep.txt'), 'unchanged\n');
  await writeFile(join(proj, 'mod.txt'), 'one\ntwo\nthree\n');
  await writeFile(join(proj, 'gone.txt'), 'bye\n');
  await writeFile(join(proj, 'perm.sh'), '#!/bin/sh\n');
  await chmod(join(proj, 'perm.sh'), 0o644);
  await writeFile(join(proj, 'link-me.txt'), 'soon a link\n');
  await writeFile(join(proj, 'old-name.txt'), 'moved, not changed\n');
  await writeFile(join(proj, 'bin.dat'), Buffer.from([0, 1, 2, 3]));
  expect((await run('init')).code).toBe(0);
  const backup = async (path: string, time: string): Promise<string> => {
    const done = await run('backup', '--json', '--quiet', path, '--time', time);
    expect(done.code, done.stderr).toBe(0);
    return (jsonSummary(done.stdout) as { id: string }).id;
  };
  const a = await backup(proj, '2024-01-01T10:00:00Z');
  await writeFile(join(proj, 'mod.txt'), 'one\nTWO\nthree\n');
  await rm(join(proj, 'gone.txt'));
  await writeFile(join(proj, 'new.txt'), 'hello\n');
  await chmod(join(proj, 'perm.sh'), 0o755);
  await rm(join(proj, 'link-me.txt'));
  await symlink('keep.txt', join(proj, 'link-me.txt'));
  await rename(join(proj, 'old-name.txt'), join(proj, 'sub', 'new-name.txt'));
  await writeFile(join(proj, 'bin.dat'), Buffer.from([0, 1, 2, 4]));
  const b = await backup(proj, '2024-01-02T10:00:00Z');
  await backup(other, '2024-01-03T10:00:00Z');
  return { run, proj, a, b };
}

describe('cairn diff', () => {
  it('prints one line per change (+ - M U T R) and a summary; --stat adds bytes; latest follows --path', async () => {
    const { run, proj, a, b } = await setup();
    const done = await run('diff', a.slice(0, 10), 'latest', '--path', proj);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout.split('\n')).toEqual([
      `comparing snapshot ${a.slice(0, 8)} to ${b.slice(0, 8)}:`,
      '',
      'M proj/bin.dat',
      '- proj/gone.txt',
      'T proj/link-me.txt',
      'M proj/mod.txt',
      '+ proj/new.txt',
      'U proj/perm.sh (mode)',
      'R proj/old-name.txt -> proj/sub/new-name.txt',
      '',
      'Files:   1 new, 1 removed, 2 changed, 1 renamed, 1 metadata only, 1 type changed',
      'Dirs:    0 new, 0 removed',
      'Others:  0 new, 0 removed',
      'Added:   24 B',
      'Removed: 34 B',
      '',
    ]);
    const stat = await run('diff', a, b, '--stat');
    expect(stat.stdout).toContain('\n+ proj/new.txt  +6 -0\n');
    expect(stat.stdout).toContain('\n- proj/gone.txt  +0 -4\n');
    expect(stat.stdout).toContain('\nM proj/mod.txt  +14 -14\n');
  });

  it('snap:subpath compares one folder of each', async () => {
    const { run, a, b } = await setup();
    const done = await run('diff', `${a.slice(0, 8)}:proj/sub`, `${b.slice(0, 8)}:/proj/sub`);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`comparing snapshot ${a.slice(0, 8)}:proj/sub to ${b.slice(0, 8)}:proj/sub:\n\n+ proj/sub/new-name.txt\n\nFiles:   1 new,`);
  });

  it('--content prints a unified diff of a changed text file, and says when binary files differ', async () => {
    const { run, a, b } = await setup();
    const done = await run('diff', a, b, '--content');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('M proj/mod.txt\n--- a/proj/mod.txt\n+++ b/proj/mod.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n');
    expect(done.stdout).toContain('M proj/bin.dat\nBinary files a/proj/bin.dat and b/proj/bin.dat differ\n');
    const none = await run('diff', a, b, '--content', '--context', '0');
    expect(none.stdout).toContain('@@ -2,1 +2,1 @@\n-two\n+TWO\n');
  });

  it('--json: one change line each, then the summary', async () => {
    const { run, a, b } = await setup();
    const done = await run('diff', a, b, '--json', '--content');
    expect(done.code, done.stderr).toBe(0);
    const lines = jsonLines(done.stdout);
    expect(lines.map((l) => l.type)).toEqual([...Array(7).fill('change'), 'summary']);
    const changes = jsonItems(done.stdout, 'change') as { kind: string; mark: string; path: string; oldPath?: string; patch?: string; content?: string; fields?: string[]; after?: { mode: string } }[];
    expect(changes.map((c) => `${c.mark} ${c.path}`)).toContain('R proj/sub/new-name.txt');
    expect(changes.find((c) => c.kind === 'renamed')?.oldPath).toBe('proj/old-name.txt');
    expect(changes.find((c) => c.path === 'proj/perm.sh')).toMatchObject({ kind: 'metadata', fields: ['mode'], after: { mode: '0755' } });
    expect(changes.find((c) => c.path === 'proj/mod.txt')?.patch).toContain('-two\n+TWO\n');
    expect(changes.find((c) => c.path === 'proj/bin.dat')?.content).toBe('binary');
    expect(jsonSummary(done.stdout)).toMatchObject({
      from: { id: a, path: '' }, to: { id: b, path: '' }, count: 7,
      added: { files: 1, dirs: 0, bytes: 24 }, removed: { files: 1, bytes: 34 }, modified: 2, metadata: 1, typeChanged: 1, renamed: 1,
    });
  });

  it('bad ids, a path that is not there, a bad argument: one line, exit 1', async () => {
    const { run, a, b } = await setup();
    const cases: [string[], string, RegExp][] = [
      [['diff', 'ffffffff', b], 'ERR_NOT_FOUND', /no snapshot has an id starting with "ffffffff"/],
      [['diff', a, 'zz'], 'ERR_USAGE', /"zz"/],
      [['diff', `${a}:proj/nope`, b], 'ERR_NOT_FOUND', /has no proj\/nope/],
      [['diff', a, `${b}:proj/keep.txt/deeper`], 'ERR_NOT_FOUND', /proj\/keep\.txt is not a folder/],
      [['diff', ':proj', b], 'ERR_USAGE', /names no snapshot/],
      [['diff', a, b, '--context', 'many'], 'ERR_USAGE', /--context/],
      [['diff', a], 'ERR_USAGE', /missing required argument/],
    ];
    for (const [args, code, message] of cases) {
      const plain = await run(...args);
      expect(plain.code, args.join(' ')).toBe(1);
      expect(plain.stdout).toBe('');
      expect(plain.stderr.split('\n')[0]).toMatch(message);
      const json = await run(...args, '--json');
      expect(json.code).toBe(1);
      expect(jsonError(json.stderr).error.code, args.join(' ')).toBe(code);
    }
  });
});
