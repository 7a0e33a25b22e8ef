import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonItems, jsonSummary, shell, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

interface Version {
  readonly number: number;
  readonly contentId: string;
  readonly size: number;
  readonly snapshots: { readonly id: string; readonly path: string; readonly returned: boolean }[];
}

const TEXTS = ['one\n', 'two, longer\n', 'one\n', 'three\n', 'three\n'];

/** Five snapshots of proj/ whose conf.txt goes v1, v2, v1 again, v3, v3 (a day apart); big.bin is `bigSize` random bytes. */
async function setup(bigSize = 1000) {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home });
  const runIn = (cwd: string, ...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home, cwd });
  const proj = join(home, 'proj');
  await mkdir(join(proj, 'sub'), { recursive: true });
  await writeFile(join(proj, 'big.bin'), randomBytes(bigSize));
  await symlink('big.bin', join(proj, 'link'));
  expect((await run('init')).code).toBe(0);
  const ids: string[] = [];
  for (const [i, text] of TEXTS.entries()) {
    if (i === 0 || text !== TEXTS[i - 1]) await writeFile(join(proj, 'conf.txt'), text);
    const done = await run('backup', '--json', '--quiet', proj, '--time', `2026-01-0${i + 1}T10:00:00Z`);
    expect(done.code, done.stderr).toBe(0);
    ids.push((jsonSummary(done.stdout) as { id: string }).id);
  }
  return { home, repo, run, runIn, proj, ids };
}


/** A failure as the user sees it: exit 1, nothing on stdout, one `cairn: …` line naming `what` (and at most a hint). */
function expectOneLineError(done: Run, what: RegExp): void {
  expect(done.code, done.stderr).toBe(1);
  expect(done.stdout).toBe('');
  const lines = done.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^cairn: /);
  expect(lines[0]).toMatch(what);
  expect(lines.slice(1).every((line) => line.startsWith('hint: ')), done.stderr).toBe(true);
}

describe('cairn versions', () => {
  it('lists each distinct content once, oldest first; a content that comes back is v1 again, named "back in"', async () => {
    const { run, proj, ids } = await setup();
    const listed = await run('versions', 'proj/conf.txt', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const versions = jsonItems(listed.stdout, 'version') as Version[];
    expect(versions.map((v) => [v.number, v.size, v.snapshots.map((s) => [s.id, s.returned])])).toEqual([
      [1, 4, [[ids[0], false], [ids[2], true]]],
      [2, 12, [[ids[1], false]]],
      [3, 6, [[ids[3], false], [ids[4], false]]],
    ]);
    expect(jsonSummary(listed.stdout)).toMatchObject({ path: 'proj/conf.txt', count: 3, snapshots: 5, searched: 5 });

    const human = await run('versions', join(proj, 'conf.txt'));
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^v1  ${ids[0]!.slice(0, 8)}  2026-01-0\\d \\d\\d:00:00 +4 B  ${versions[0]!.contentId.slice(0, 8)} \\(back in ${ids[2]!.slice(0, 8)}\\)$`));
    expect(lines[1]).toMatch(new RegExp(`^v2  ${ids[1]!.slice(0, 8)}  .* +12 B  ${versions[1]!.contentId.slice(0, 8)}$`));
    expect(lines[2]).toMatch(new RegExp(`^v3  ${ids[3]!.slice(0, 8)}  .*\\(also in ${ids[4]!.slice(0, 8)}\\)$`));
    expect(lines[3]).toBe(`3 versions of ${join(proj, 'conf.txt')} in 5 of 5 snapshots`);
  });

  it('--restore writes <name>.<content id> in the current folder, never over an existing file without --overwrite', async () => {
    const { home, runIn, proj, ids } = await setup();
    const here = join(home, 'here');
    await mkdir(here);
    const first = await runIn(here, 'versions', 'proj/conf.txt', '--restore', 'v2', '--json');
    expect(first.code, first.stderr).toBe(0);
    const summary = jsonSummary(first.stdout) as { restoredTo: string; contentId: string; snapshot: string; version: number };
    expect(summary).toMatchObject({ version: 2, snapshot: ids[1] });
    expect(summary.restoredTo).toBe(join(here, `conf.txt.${summary.contentId.slice(0, 8)}`));
    expect(await readFile(summary.restoredTo, 'utf8')).toBe('two, longer\n');

    // The same name again, from another version: refused, the file kept.
    await writeFile(join(here, 'conf.txt'), 'mine\n');
    const refused = await runIn(here, 'versions', 'proj/conf.txt', '--restore', ids[0]!.slice(0, 8), '--target', 'conf.txt');
    expectOneLineError(refused, /already exists: nothing was written/);
    expect(await readFile(join(here, 'conf.txt'), 'utf8')).toBe('mine\n');
    const replaced = await runIn(here, 'versions', 'proj/conf.txt', '--restore', ids[0]!.slice(0, 8), '--target', 'conf.txt', '--overwrite');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/^restored v1 of proj\/conf.txt \(snapshot [0-9a-f]{8}, 4 B\) to /);
    expect(await readFile(join(here, 'conf.txt'), 'utf8')).toBe('one\n');

    // Named by its absolute path: beside the original, which stays as it was.
    const beside = await runIn(here, 'versions', join(proj, 'conf.txt'), '--restore', 'v2', '--json');
    expect(beside.code, beside.stderr).toBe(0);
    expect((jsonSummary(beside.stdout) as { restoredTo: string }).restoredTo).toBe(join(proj, `conf.txt.${summary.contentId.slice(0, 8)}`));
    expect(await readFile(join(proj, `conf.txt.${summary.contentId.slice(0, 8)}`), 'utf8')).toBe('two, longer\n');
    expect(await readFile(join(proj, 'conf.txt'), 'utf8')).toBe('three\n');

    // Into a folder: under the file's own name.
    await mkdir(join(home, 'into'));
    const into = await runIn(here, 'versions', 'proj/conf.txt', '--restore', '3', '--target', join(home, 'into'));
    expect(into.code, into.stderr).toBe(0);
    expect(await readFile(join(home, 'into', 'conf.txt'), 'utf8')).toBe('three\n');
  });

  it('a path in no snapshot, a bad snapshot id, a version out of range: one line, exit 1, nothing written', async () => {
    const { home, runIn } = await setup();
    const here = join(home, 'empty');
    await mkdir(here);
    expectOneLineError(await runIn(here, 'versions', 'proj/missing.txt'), /no snapshot holds a file proj\/missing\.txt \(searched 5 snapshots\)/);
    expectOneLineError(await runIn(here, 'versions', 'proj/sub'), /proj\/sub is a folder/);
    expectOneLineError(await runIn(here, 'versions', 'proj/conf.txt', '--host', 'nobody'), /searched 0 snapshots of host nobody/);
    expectOneLineError(await runIn(here, 'versions', 'proj/conf.txt', '--restore', '4'), /--restore 4: proj\/conf\.txt has 3 versions \(v1 to v3\)/);
    expectOneLineError(await runIn(here, 'versions', 'proj/conf.txt', '--restore', 'v0'), /has 3 versions/);
    expectOneLineError(await runIn(here, 'versions', 'proj/conf.txt', '--restore', 'zzzz'), /"zzzz" is not a snapshot id/);
    expectOneLineError(await runIn(here, 'versions', 'proj/conf.txt', '--restore', 'abcdef12'), /snapshot/);
    expectOneLineError(await runIn(here, 'versions', 'proj/conf.txt', '--overwrite'), /--overwrite goes with --restore/);
    expect(await readdir(here)).toEqual([]);
  });
});

describe('cairn dump', () => {
  it('writes a 20 MB multi-chunk file byte for byte through a pipe, in both argument forms', async () => {
    const { home, repo, proj } = await setup(20_000_000);
    const listed = await cairn(['--repo', repo, 'ls', 'latest', 'proj/big.bin', '--json'], { home });
    expect((jsonItems(listed.stdout, 'entry') as { content: string[] }[])[0]!.content.length).toBeGreaterThan(2);
    const expected = createHash('sha256').update(await readFile(join(proj, 'big.bin'))).digest('hex');
    for (const args of ['latest:proj/big.bin', 'latest proj/big.bin', `latest:${join(proj, 'big.bin')}`]) {
      const piped = await shell(`$CAIRN dump ${args} | sha256sum`, { home, env: { CAIRN_REPO: repo } });
      expect(piped.code, piped.stderr).toBe(0);
      expect(piped.stderr).toBe('');
      expect(piped.stdout.split(' ')[0]).toBe(expected);
    }
    // A reader that stops early is no error.
    const head = await shell('$CAIRN dump latest:proj/big.bin | head -c 10 | wc -c; exit $?', { home, env: { CAIRN_REPO: repo } });
    expect(head.stdout.trim()).toBe('10');
    expect(head.stderr).toBe('');
  });

  it('a folder, a symlink, a missing path and a bad id: one line, exit 1, no bytes', async () => {
    const { run } = await setup();
    expectOneLineError(await run('dump', 'latest:proj/sub'), /proj\/sub is a folder in snapshot [0-9a-f]{8}, not a file/);
    expectOneLineError(await run('dump', 'latest', 'proj/link'), /proj\/link is a symlink in snapshot [0-9a-f]{8} \(to big\.bin\), not a file/);
    expectOneLineError(await run('dump', 'latest:proj/missing'), /snapshot [0-9a-f]{8} has no proj\/missing/);
    expectOneLineError(await run('dump', 'zzzz:proj/conf.txt'), /"zzzz" is not a snapshot id/);
    expectOneLineError(await run('dump', 'abcdef12:proj/conf.txt'), /snapshot/);
    expectOneLineError(await run('dump', 'latest'), /dump needs a file: <snapshot>:<path>/);
    const json = await run('dump', 'latest:proj/sub', '--json');
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr.trim())).toMatchObject({ type: 'error', error: { code: 'ERR_USAGE' } });
  });
});
