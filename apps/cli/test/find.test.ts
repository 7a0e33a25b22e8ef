import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonError, jsonItems, jsonSummary, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

interface Match {
  readonly path: string;
  readonly type: string;
  readonly size: number;
  readonly content?: string[];
  readonly subtree?: string;
  readonly snapshots: string[];
  readonly ids?: string[];
}

/** proj (laptop, tag daily) backed up on three days, its config changed before the third; other on desk. */
async function setup() {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home });
  const proj = join(home, 'proj');
  const other = join(home, 'other');
  await mkdir(join(proj, 'src', 'lib'), { recursive: true });
  await mkdir(other);
  await writeFile(join(proj, 'config.json'), '{"v":1}\n');
  await writeFile(join(proj, 'src', 'main.ts'), 'main\n');
  await writeFile(join(proj, 'src', 'lib', 'Util.TS'), 'util\n');
  await writeFile(join(other, 'config.json'), '{"other":true}\n');
  await utimes(join(proj, 'src', 'main.ts'), new Date('2020-06-01T12:00:00Z'), new Date('2020-06-01T12:00:00Z'));
  expect((await run('init')).code).toBe(0);
  const backup = async (...args: string[]): Promise<string> => {
    const done = await run('backup', '--json', '--quiet', ...args);
    expect(done.code, done.stderr).toBe(0);
    return (jsonSummary(done.stdout) as { id: string }).id;
  };
  const p1 = await backup(proj, '--host', 'laptop', '--tag', 'daily', '--time', '2024-01-01T10:00:00Z');
  const p2 = await backup(proj, '--host', 'laptop', '--tag', 'daily', '--time', '2024-01-02T10:00:00Z');
  const o1 = await backup(other, '--host', 'desk', '--time', '2024-01-02T11:00:00Z');
  await writeFile(join(proj, 'config.json'), '{"v":2}\n');
  const p3 = await backup(proj, '--host', 'laptop', '--time', '2024-01-03T10:00:00Z');
  const find = async (...args: string[]): Promise<Match[]> => {
    const done = await run('find', '--json', ...args);
    expect(done.code, done.stderr).toBe(0);
    return jsonItems(done.stdout, 'match') as Match[];
  };
  return { home, run, find, p1, p2, p3, o1 };
}

describe('cairn find', () => {
  it('groups the same entry across snapshots: human lines with type, size, time and 8-digit ids; JSON Lines with every id', async () => {
    const { run, find, p1, p2, p3, o1 } = await setup();
    const human = await run('find', 'config.json');
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^file +15 B  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  other/config.json  \\(in snapshot ${o1.slice(0, 8)}\\)$`));
    expect(lines[1]).toMatch(new RegExp(`  proj/config.json  \\(identical in snapshots ${p1.slice(0, 8)}, \\+1 more\\)$`));
    expect(lines[2]).toMatch(new RegExp(`  proj/config.json  \\(in snapshot ${p3.slice(0, 8)}\\)$`));
    expect(lines[3]).toBe('3 matches (4 in all) in 4 snapshots; 8 trees read');
    const matches = await find('config.json');
    expect(matches.map((m) => [m.path, m.snapshots])).toEqual([['other/config.json', [o1]], ['proj/config.json', [p1, p2]], ['proj/config.json', [p3]]]);
    expect(matches[1]!.type).toBe('file');
    const json = await run('find', '--json', 'config.json');
    expect(jsonSummary(json.stdout)).toEqual({ count: 3, hits: 4, snapshots: 4, treesLoaded: 8 });
  });

  it('globs, -i, paths at any depth and from the root, -s, the snapshot filters and the mtime window', async () => {
    const { home, find, p1, p2, p3 } = await setup();
    const paths = async (...args: string[]): Promise<string[]> => (await find(...args)).map((m) => m.path);
    expect(await paths('*.ts')).toEqual(['proj/src/main.ts']);
    expect(await paths('-i', '*.ts')).toEqual(['proj/src/lib/Util.TS', 'proj/src/main.ts']);
    expect(await paths('src/*')).toEqual(['proj/src/lib', 'proj/src/main.ts']);
    expect(await paths('src/**/*.TS')).toEqual(['proj/src/lib/Util.TS']);
    expect(await paths('/proj/*.json')).toEqual(['proj/config.json', 'proj/config.json']);
    expect(await paths('/src/*.ts')).toEqual([]);
    expect(await paths('main.ts', 'Util.TS')).toEqual(['proj/src/lib/Util.TS', 'proj/src/main.ts']);
    expect((await find('config.json', '--host', 'desk')).map((m) => m.path)).toEqual(['other/config.json']);
    expect((await find('config.json', '--tag', 'daily')).map((m) => m.snapshots)).toEqual([[p1, p2]]);
    expect((await find('config.json', '--path', join(home, 'proj'))).map((m) => m.snapshots)).toEqual([[p1, p2], [p3]]);
    expect((await find('config.json', '-s', p3.slice(0, 8), '--snapshot', p1)).map((m) => m.snapshots)).toEqual([[p1], [p3]]);
    expect((await find('config.json', '-s', 'latest')).map((m) => m.snapshots)).toEqual([[p3]]);
    expect(await paths('*.ts', '-i', '--newest', '2021-01-01')).toEqual(['proj/src/main.ts']);
    expect(await paths('*.ts', '-i', '--oldest', '2021-01-01 00:00')).toEqual(['proj/src/lib/Util.TS']);
    expect(await paths('main.ts', '--oldest', '2020-06-01', '--newest', '2020-06-01')).toEqual(['proj/src/main.ts']);
  });

  it('--blob, --tree and --pack find what holds an id (prefixes allowed)', async () => {
    const { home, find } = await setup();
    const [main] = await find('/proj/src/main.ts');
    const blob = main!.content![0]!;
    expect((await find('--blob', blob.slice(0, 12))).map((m) => [m.path, m.ids])).toEqual([['proj/src/main.ts', [blob]]]);
    const [lib] = await find('/proj/src/lib');
    expect((await find('--tree', lib!.subtree!.slice(0, 10))).map((m) => m.path)).toEqual(['proj/src/lib']);
    // A pack: what is stored in it (each data pack holds the file data of the backups here).
    const data = join(home, 'repo', 'data');
    const packs = (await Promise.all((await readdir(data)).map((dir) => readdir(join(data, dir))))).flat();
    const inPacks = await Promise.all(packs.map((pack) => find('--pack', pack.slice(0, 12))));
    expect(inPacks.flat().map((m) => m.path)).toContain('proj/src/main.ts');
    for (const matches of inPacks) for (const m of matches) expect(m.ids?.length, m.path).toBeGreaterThan(0);
  });

  it('bad ids, patterns and times: one line naming them, exit 1', async () => {
    const { run } = await setup();
    const cases: [string[], RegExp][] = [
      [['find', '--blob', 'xyz'], /^cairn: "xyz" is not a blob id/],
      [['find', '--tree', '0123456789abcdef'], /^cairn: no tree has an id starting with "0123456789abcdef"/],
      [['find', '--pack', 'ffffffffffff'], /^cairn: no pack has an id starting with "ffffffffffff"/],
      [['find', '--blob', '--tree', 'ab'], /^cairn: --blob and --tree: give one kind of id at a time/],
      [['find', ''], /^cairn: find pattern "" is empty/],
      [['find', '[z-a].txt'], /^cairn: find pattern "\[z-a\].txt" is not a valid glob/],
      [['find', 'a/../b'], /^cairn: find pattern "a\/..\/b" holds "\.\."/],
      [['find', 'x', '--newest', 'yesterday'], /^cairn: --newest wants a date and time/],
      [['find', 'x', '--oldest', '2024-02-30'], /^cairn: --oldest wants a date and time/],
      [['find', 'x', '-s', 'ffffffff'], /^cairn: no snapshot has an id starting with "ffffffff"/],
      [['find', 'x', '-s', 'nothex'], /^cairn: "nothex" is not a snapshot id/],
    ];
    for (const [args, message] of cases) {
      const done = await run(...args);
      expect(done.code, args.join(' ')).toBe(1);
      expect(done.stdout, args.join(' ')).toBe('');
      expect(done.stderr.split('\n')[0], args.join(' ')).toMatch(message);
    }
    const json = await run('find', '--json', '--blob', 'xyz');
    expect(jsonError(json.stderr).error.code).toBe('ERR_USAGE');
  });
});
