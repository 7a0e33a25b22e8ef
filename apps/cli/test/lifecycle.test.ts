import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonItems, jsonSummary, tempDir } from './run-cli.js';

/** A repository at <home>/repo and two folders of distinct content, each backed up once (a first, then b). */
async function setup(): Promise<{ home: string; repo: string; run: (...args: string[]) => ReturnType<typeof cairn>; ids: { a: string; b: string } }> {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]) => cairn(['--repo', repo, ...args], { home });
  expect((await run('init')).code).toBe(0);
  for (const [name, seed] of [['a', 1], ['b', 2]] as const) {
    await mkdir(join(home, name));
    await writeFile(join(home, name, 'data.bin'), Buffer.alloc(200_000, seed));
    await writeFile(join(home, name, 'note.txt'), `folder ${name}\n`);
  }
  const a = jsonSummary((await run('backup', join(home, 'a'), '--json', '--time', '2024-01-01T10:00:00Z')).stdout) as { id: string };
  const b = jsonSummary((await run('backup', join(home, 'b'), '--json', '--time', '2024-01-02T10:00:00Z')).stdout) as { id: string };
  return { home, repo, run, ids: { a: a.id, b: b.id } };
}

async function packCount(repo: string): Promise<number> {
  let n = 0;
  for (const sub of await readdir(join(repo, 'data'))) n += (await readdir(join(repo, 'data', sub))).filter((f) => !f.startsWith('.')).length;
  return n;
}

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

async function writeLock(repo: string, kind: string, host: string, pid: number, agoMs = 0): Promise<string> {
  const token = '0123456789abcdef';
  const time = new Date(Date.now() - agoMs).toISOString();
  const name = `${kind}-${token}-0`;
  await writeFile(join(repo, 'locks', name), JSON.stringify({ v: 1, kind, token, purpose: kind === 'lease' ? 'backup' : 'prune', host, pid, started: time, refreshed: time, staleMs: 900_000 }));
  return name;
}

describe('cairn forget, prune, unlock, repair, check --read-data-subset', () => {
  it('forget applies a policy (dry run first), forget --prune --grace 0 frees the data, and check passes', async () => {
    const { repo, run, ids } = await setup();
    const dry = await run('forget', '--keep-last', '1', '--group-by', '', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('applying policy: keep 1 latest snapshots');
    expect(dry.stdout).toMatch(new RegExp(`${ids.b.slice(0, 8)} .* last snapshot`));
    expect(dry.stdout).toContain('would remove 1 snapshot (dry run: nothing changed)');
    expect(jsonItems((await run('snapshots', '--json')).stdout, 'snapshot')).toHaveLength(2);

    const before = await packCount(repo);
    const json = await run('forget', '--keep-last', '1', '--group-by', '', '--prune', '--grace', '0', '--json');
    expect(json.code).toBe(0);
    const out = jsonSummary(json.stdout) as { removed: string[]; groups: { keep: { id: string; reasons: string[] }[] }[]; prune: { deleted: { packs: number; bytes: number } } };
    expect(out.removed).toEqual([ids.a]);
    expect(out.groups[0]?.keep).toEqual([expect.objectContaining({ id: ids.b, reasons: ['last snapshot'] })]);
    expect(out.prune.deleted.packs).toBeGreaterThan(0);
    expect(await packCount(repo)).toBe(before - out.prune.deleted.packs);

    const check = await run('check', '--read-data');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('no errors found');
    const restored = join(repo, '..', 'out');
    expect((await run('restore', ids.b, '--target', restored)).code).toBe(0);
    expect(await readFile(join(restored, 'b', 'data.bin'))).toEqual(Buffer.alloc(200_000, 2));
  });

  it('prune marks with the default grace and says when the data goes; bad flags exit 1 naming the value', async () => {
    const { repo, run, ids } = await setup();
    expect((await run('forget', ids.a)).stdout).toContain('removed 1 snapshot;');
    const marked = await run('prune');
    expect(marked.code).toBe(0);
    expect(marked.stdout).toMatch(/^freed now: nothing \(no pack deleted\)\nmarked \d+ packs? \(.+\) for deletion: \d+ unused\npending: \d+ packs? \(.+\), deleted by the first prune run after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(the grace period, 1h, .*\)\nto free them now: cairn prune --grace 0 /);
    const swept = await run('prune', '--grace', '0');
    expect(swept.stdout).toMatch(/^freed now: .+ \(\d+ packs? deleted\)\n/);
    expect(swept.stdout).not.toContain('pending');
    expect(await readdir(join(repo, 'locks'))).toEqual([]);

    const badUnused = await run('prune', '--max-unused', 'lots');
    expect(badUnused.code).toBe(1);
    expect(badUnused.stderr).toContain('--max-unused wants a percentage from 0% to 100%, or "unlimited", not "lots"');
    const badGrace = await run('prune', '--grace', 'soon');
    expect(badGrace.code).toBe(1);
    expect(badGrace.stderr).toContain('not a time interval: "soon"');
    const badKeep = await run('forget', '--keep-daily', 'many');
    expect(badKeep.code).toBe(1);
    expect(badKeep.stderr).toContain('--keep-daily wants a whole number of snapshots (0 or more) or "unlimited", not "many"');
    const empty = await run('forget');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('no policy given');
    expect(jsonItems((await run('snapshots', '--json')).stdout, 'snapshot')).toHaveLength(1);
  });

  it('prune refuses while another host holds the exclusive lock; unlock keeps live locks, removes stale ones, --remove-all removes all', async () => {
    const { repo, run } = await setup();
    const live = await writeLock(repo, 'exclusive', 'far-away', 777);
    const refused = await run('prune');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is locked: exclusive of prune on host far-away (pid 777)`);
    expect(refused.stderr).toContain('hint: wait for it to finish');

    const dead = deadPid();
    const stale = await writeLock(repo, 'lease', hostname(), dead);
    expect(stale).not.toBe(live);
    const unlocked = await run('unlock');
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toContain(`removed lease of backup on host ${hostname()} (pid ${dead})`);
    expect(unlocked.stdout).toMatch(/kept exclusive of prune on host far-away \(pid 777\), started \d+\w ago: live, refreshed/);
    expect(await readdir(join(repo, 'locks'))).toEqual([live]);
    expect((await run('unlock', '--remove-all')).stdout).toContain('removed exclusive of prune on host far-away');
    expect(await readdir(join(repo, 'locks'))).toEqual([]);
    expect((await run('prune')).code).toBe(0);
  });

  it('check --read-data-subset reads part of the packs and says how much; a bad subset exits 1', async () => {
    const { run } = await setup();
    const part = await run('check', '--read-data-subset', '100%');
    expect(part.code).toBe(0);
    expect(part.stdout).toMatch(/checked 2 snapshots, \d+ trees, (\d+) packs \(read \1 of them whole: \d+ blobs, [\d.]+ KiB\): no errors found/);
    const json = jsonSummary((await run('check', '--read-data-subset', '1/256', '--json')).stdout) as { verified: { packsRead: number; packs: number } };
    expect(json.verified.packsRead).toBeLessThanOrEqual(json.verified.packs);
    const bad = await run('check', '--read-data-subset', '3/2');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--read-data-subset wants N% (0 < N <= 100) or K/M (1 <= K <= M <= 256), not "3/2"');
  });

  it('repair index rebuilds a deleted index; repair snapshots mends a snapshot whose pack is gone', async () => {
    const { home, repo, run, ids } = await setup();
    for (const name of await readdir(join(repo, 'index'))) await rm(join(repo, 'index', name));
    expect((await run('check')).code).toBe(1);
    const rebuilt = await run('repair', 'index');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^indexed \d+ packs \(\d+ blobs\) in 1 new index file\(s\); removed 0 old index file\(s\)/);
    expect((await run('check', '--read-data')).code).toBe(0);

    // Delete the pack holding a's data (both files: one pack per backup at the default pack size).
    const ls = jsonSummary((await run('cat', 'snapshot', ids.a, '--json')).stdout) as { tree: string };
    const root = JSON.parse((await run('cat', 'tree', ls.tree)).stdout) as { nodes: { subtree: string }[] };
    const folder = JSON.parse((await run('cat', 'tree', root.nodes[0]!.subtree)).stdout) as { nodes: { name: string; content: string[] }[] };
    const blob = folder.nodes.find((n) => n.name === 'data.bin')!.content[0]!;
    const index = JSON.parse((await run('cat', 'index', (await readdir(join(repo, 'index')))[0]!)).stdout) as { packs: { id: string; blobs: { id: string }[] }[] };
    const pack = index.packs.find((p) => p.blobs.some((b) => b.id === blob))!.id;
    await rm(join(repo, 'data', pack.slice(0, 2), pack));

    const mended = await run('repair', 'snapshots', '--forget');
    expect(mended.code).toBe(0);
    expect(mended.stdout).toContain(`snapshot ${ids.a.slice(0, 8)} repaired as`);
    expect(mended.stdout).toContain('  a/data.bin\n  a/note.txt\n');
    expect((await run('repair', 'index')).code).toBe(0);
    const check = await run('check');
    expect(check.stdout).toContain('no errors found');
    const snapshots = jsonItems((await run('snapshots', '--json')).stdout, 'snapshot') as { id: string; tags: string[] }[];
    const repaired = snapshots.find((s) => s.tags.includes('repaired'))!;
    expect(snapshots.map((s) => s.id)).not.toContain(ids.a);
    const out = join(home, 'out');
    expect((await run('restore', repaired.id, '--target', out)).code).toBe(0);
    expect(await readFile(join(out, 'a', 'note.txt'), 'utf8')).toBe(''); // what is left of it: nothing
    expect((await run('restore', ids.b, '--target', out)).code).toBe(0);
    expect(await readFile(join(out, 'b', 'note.txt'), 'utf8')).toBe('folder b\n');
  });
});
