import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonError, jsonItems, jsonSummary, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

async function setup() {
  const home = await tempDir();
  const repo = join(home, 'repo');
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home, cwd: home });
  expect((await run('init')).code).toBe(0);
  return { home, repo, run, db: join(home, 'data.db') };
}

function oneLineError(done: Run, what: RegExp): void {
  expect(done.code, done.stderr).toBe(1);
  expect(done.stdout).toBe('');
  const lines = done.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^cairn: /);
  expect(lines[0]).toMatch(what);
  expect(lines.length).toBeLessThanOrEqual(2);
  if (lines.length === 2) expect(lines[1]).toMatch(/^hint: /);
}

describe('cairn protect / versions / rollback: one data file, versioned', () => {
  it('protect keeps versions (the last --keep), versions lists them with their reason, rollback puts one back and keeps what was there', { timeout: 60_000 }, async () => {
    const { run, db } = await setup();
    const ids: string[] = [];
    for (const [i, text] of ['one\n', 'two\n', 'three\n'].entries()) {
      await writeFile(db, text);
      const done = await run('--json', 'protect', 'data.db', '--reason', `step ${i}`, '--keep', '2');
      expect(done.code, done.stderr).toBe(0);
      const summary = jsonSummary(done.stdout) as { snapshot: string; paths: string[]; reason: string; forgotten: string[] };
      expect(summary).toMatchObject({ paths: [db], reason: `step ${i}` });
      expect(summary.forgotten).toEqual(i === 2 ? [ids[0]] : []);
      ids.push(summary.snapshot);
    }
    const listed = await run('--json', 'versions', db);
    expect(listed.code, listed.stderr).toBe(0);
    const versions = jsonItems(listed.stdout, 'version') as { number: number; snapshots: { id: string; kind: string; reason?: string }[] }[];
    expect(versions.map((v) => v.snapshots.map((s) => [s.id, s.kind, s.reason]))).toEqual([[[ids[1], 'protect', 'step 1']], [[ids[2], 'protect', 'step 2']]]);
    const text = await run('versions', 'data.db');
    expect(text.stdout).toMatch(/^v1 .*\[protect: step 1\]$/m);

    await writeFile(db, 'broken by a program\n');
    const back = await run('rollback', 'data.db', '--to', 'v1');
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^rolled .*data\.db back to v1, snapshot [0-9a-f]{8} .*\(step 1\)/);
    expect(await readFile(db, 'utf8')).toBe('two\n');
    // What was there is a version now; a plain rollback goes to the newest protect: it undoes the rollback.
    const undo = await run('--json', 'rollback', 'data.db');
    expect(undo.code, undo.stderr).toBe(0);
    expect(jsonSummary(undo.stdout)).toMatchObject({ path: db, version: null, reason: `before rollback to ${ids[1]!.slice(0, 8)}` });
    expect(await readFile(db, 'utf8')).toBe('broken by a program\n');
  });

  it('versions --verify reads each version back: ok, then exit 1 naming the damage once a pack is corrupted', { timeout: 60_000 }, async () => {
    const { run, repo, db } = await setup();
    await writeFile(db, randomBytes(200_000));
    expect((await run('protect', db)).code).toBe(0);
    const good = await run('--json', 'versions', db, '--verify');
    expect(good.code, good.stderr).toBe(0);
    expect(jsonItems(good.stdout, 'verify')).toMatchObject([{ number: 1, ok: true, bytes: 200_000 }]);
    expect(jsonSummary(good.stdout)).toMatchObject({ count: 1, verified: 1, damaged: 0 });
    // Damage the data pack (the largest: the tree pack holds a few hundred bytes) at its first byte.
    const packs: { file: string; size: number }[] = [];
    for (const sub of await readdir(join(repo, 'data'))) {
      for (const pack of await readdir(join(repo, 'data', sub))) packs.push({ file: join(repo, 'data', sub, pack), size: (await stat(join(repo, 'data', sub, pack))).size });
    }
    const data = packs.sort((a, b) => b.size - a.size)[0]!.file;
    const bytes = await readFile(data);
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    await chmod(data, 0o644);
    await writeFile(data, bytes);
    const bad = await run('versions', db, '--verify', 'v1');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^v1 .*DAMAGED: /m);
  });

  it('errors are one line with a hint, exit 1, nothing changed', { timeout: 60_000 }, async () => {
    const { run, home } = await setup();
    oneLineError(await run('protect', 'missing.db'), /nothing to protect: .*missing\.db does not exist/);
    await writeFile(join(home, 'x.db'), 'x');
    oneLineError(await run('protect', 'x.db', '--keep', '0'), /--keep wants a whole number of versions per path, 1 or more, not "0"/);
    oneLineError(await run('protect', 'x.db', '--reason', ''), /--reason is empty/);
    oneLineError(await run('rollback', 'x.db'), /no protect snapshot holds .*x\.db \(searched 0 snapshots\)/);
    const json = await run('--json', 'rollback', 'x.db');
    expect(json.code).toBe(1);
    expect(jsonError(json.stderr).error).toMatchObject({ code: 'ERR_USAGE' });
    expect((await run('protect', 'x.db')).code).toBe(0);
    oneLineError(await run('rollback', 'x.db', '--to', 'v9'), /--to v9: .*x\.db has 1 version \(v1 to v1\)/);
    expect(await readFile(join(home, 'x.db'), 'utf8')).toBe('x');
  });

  it('a protected folder rolls back whole: a deleted file returns, a created one goes', { timeout: 60_000 }, async () => {
    const { run, home } = await setup();
    const dir = join(home, 'site');
    await mkdir(dir);
    await writeFile(join(dir, 'index.html'), '<p>hi</p>');
    expect((await run('protect', 'site', '--tool', 'generator')).code).toBe(0);
    await rm(join(dir, 'index.html'));
    await writeFile(join(dir, 'new.html'), 'new');
    const back = await run('rollback', 'site');
    expect(back.code, back.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['index.html']);
    expect(back.stdout).toMatch(/1 removed/);
  });

  it('two cairn protect processes on one file at once both succeed, each with a snapshot of its own', { timeout: 60_000 }, async () => {
    const { run, db } = await setup();
    await writeFile(db, Buffer.alloc(100_000, 3));
    const both = await Promise.all([run('--json', 'protect', db, '--reason', 'a'), run('--json', 'protect', db, '--reason', 'b')]);
    for (const done of both) expect(done.code, done.stderr).toBe(0);
    const ids = both.map((done) => (jsonSummary(done.stdout) as { snapshot: string }).snapshot);
    expect(new Set(ids).size).toBe(2);
    const listed = await run('--json', 'versions', db);
    expect((jsonItems(listed.stdout, 'version') as { snapshots: { id: string }[] }[])[0]?.snapshots.map((s) => s.id).sort()).toEqual([...ids].sort());
    expect((await run('check', '--read-data')).code).toBe(0);
  });
});
