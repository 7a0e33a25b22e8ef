import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError, toHex } from '@cairn/core';
import { backup, compileFindPattern, findInSnapshots, listSnapshots } from '@cairn/repository';
import type { FindQuery, Repository } from '@cairn/repository';
import { createLocalSource } from '@cairn/transport';
import { tempDir } from './helpers.js';
import { smallRepo } from './lifecycle-helpers.js';

/** A project tree: two clients, configs, sources, a nested node_modules. */
async function buildProject(root: string): Promise<void> {
  const files: Record<string, string> = {
    'acme/config.json': '{"a":1}',
    'acme/src/main.ts': 'main',
    'acme/src/util.ts': 'util',
    'acme/src/deep/Config.JSON': 'upper',
    'acme/README.md': 'readme',
    'beta/config.json': '{"b":2}',
    'beta/src/main.ts': 'beta main',
    'beta/docs/src/notes.txt': 'notes',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

async function take(repo: Repository, paths: string[], options: { hostname?: string; tags?: string[]; day?: number } = {}): Promise<string> {
  const result = await backup(repo, {
    source: createLocalSource(),
    paths,
    hostname: options.hostname ?? 'laptop',
    tags: options.tags ?? [],
    time: new Date(Date.UTC(2026, 0, options.day ?? 1, 12)),
  });
  return result.id;
}

/** The repository with tree loads counted (decoded or read as a listing). */
function counting(repo: Repository): { repo: Repository; loads: () => number } {
  let loads = 0;
  const wrapped = Object.create(repo) as Repository;
  for (const method of ['loadTree', 'loadTreeListing'] as const) {
    Object.defineProperty(wrapped, method, {
      value: (id: Uint8Array, where: string) => {
        loads += 1;
        return repo[method](id, where);
      },
    });
  }
  return { repo: wrapped, loads: () => loads };
}

const paths = async (repo: Repository, query: FindQuery): Promise<string[]> => (await findInSnapshots(repo, query)).matches.map((m) => m.path);

describe('find', () => {
  it('by name, glob, -i, a path at any depth, a path from the root and **', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await buildProject(join(work, 'p'));
    await take(repo, [join(work, 'p')]);
    expect(await paths(repo, { patterns: ['config.json'] })).toEqual(['p/acme/config.json', 'p/beta/config.json']);
    expect(await paths(repo, { patterns: ['config.json'], ignoreCase: true })).toEqual(['p/acme/config.json', 'p/acme/src/deep/Config.JSON', 'p/beta/config.json']);
    expect(await paths(repo, { patterns: ['*.ts'] })).toEqual(['p/acme/src/main.ts', 'p/acme/src/util.ts', 'p/beta/src/main.ts']);
    expect(await paths(repo, { patterns: ['*.{md,txt}'] })).toEqual(['p/acme/README.md', 'p/beta/docs/src/notes.txt']);
    // Folders match by name too; the entries below them do not (unlike restic).
    expect(await paths(repo, { patterns: ['src'] })).toEqual(['p/acme/src', 'p/beta/docs/src', 'p/beta/src']);
    // A pattern with '/' matches the end of a path, at any depth.
    expect(await paths(repo, { patterns: ['src/*.ts'] })).toEqual(['p/acme/src/main.ts', 'p/acme/src/util.ts', 'p/beta/src/main.ts']);
    expect(await paths(repo, { patterns: ['beta/*/src'] })).toEqual(['p/beta/docs/src']);
    // A leading '/' anchors it at the snapshot's root.
    expect(await paths(repo, { patterns: ['/p/acme/*.json'] })).toEqual(['p/acme/config.json']);
    expect(await paths(repo, { patterns: ['/acme/*.json'] })).toEqual([]);
    expect(await paths(repo, { patterns: ['/p/**/main.ts'] })).toEqual(['p/acme/src/main.ts', 'p/beta/src/main.ts']);
    expect(await paths(repo, { patterns: ['/P/ACME/CONFIG.JSON'], ignoreCase: true })).toEqual(['p/acme/config.json']);
    expect(await paths(repo, { patterns: ['acme/**/*.json'] })).toEqual(['p/acme/config.json']);
    expect(await paths(repo, { patterns: ['acme/**/*.json'], ignoreCase: true })).toEqual(['p/acme/config.json', 'p/acme/src/deep/Config.JSON']);
    // Several patterns: any of them.
    expect(await paths(repo, { patterns: ['README.md', 'notes.txt'] })).toEqual(['p/acme/README.md', 'p/beta/docs/src/notes.txt']);
  });

  it('an anchored pattern reads only the trees on its way', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await buildProject(join(work, 'p'));
    await take(repo, [join(work, 'p')]);
    const counted = counting(repo);
    expect(await paths(counted.repo, { patterns: ['/p/acme/config.json'] })).toEqual(['p/acme/config.json']);
    expect(counted.loads()).toBe(3); // the root, p, p/acme: not src, deep, beta, docs
  });

  it('groups the same entry across snapshots, and tells versions apart', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const root = join(work, 'p');
    await buildProject(root);
    const first = await take(repo, [root], { day: 1 });
    const second = await take(repo, [root], { day: 2 });
    await writeFile(join(root, 'acme/config.json'), '{"a":2}');
    const third = await take(repo, [root], { day: 3 });
    const result = await findInSnapshots(repo, { patterns: ['config.json'] });
    expect(result.snapshots).toEqual([first, second, third]);
    expect(result.hits).toBe(6);
    expect(result.matches.map((m) => [m.path, m.snapshots])).toEqual([
      ['p/acme/config.json', [first, second]],
      ['p/acme/config.json', [third]],
      ['p/beta/config.json', [first, second, third]],
    ]);
    expect(result.matches[0]!.node!.size).toBe(7);
    expect(toHex(result.matches[0]!.node!.content![0]!)).not.toBe(toHex(result.matches[1]!.node!.content![0]!));
  });

  it('reads each tree once however many snapshots share it: 20 more snapshots add only their new trees', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const root = join(work, 'p');
    await buildProject(root);
    await take(repo, [root], { day: 1 });
    const one = counting(repo);
    const single = await findInSnapshots(one.repo, { patterns: ['*.ts'] });
    expect(single.treesLoaded).toBe(one.loads());
    const treesOfOne = one.loads();
    expect(treesOfOne).toBe(9); // root, p, acme, acme/src, acme/src/deep, beta, beta/src, beta/docs, beta/docs/src
    // 20 snapshots of the same tree, then one where one file in beta/src changed (new trees: root, p, beta, beta/src).
    for (let day = 2; day <= 21; day += 1) await take(repo, [root], { day });
    await writeFile(join(root, 'beta/src/main.ts'), 'changed');
    await take(repo, [root], { day: 22 });
    for (const pattern of ['*.ts', 'src/*.ts', '/p/**/*.ts']) {
      const all = counting(repo);
      const result = await findInSnapshots(all.repo, { patterns: [pattern] });
      expect(result.snapshots).toHaveLength(22);
      expect(all.loads(), pattern).toBeLessThanOrEqual(treesOfOne + 4);
      expect(result.treesLoaded).toBe(all.loads());
      expect(result.matches.map((m) => [m.path, m.snapshots.length])).toEqual([
        ['p/acme/src/main.ts', 22], ['p/acme/src/util.ts', 22], ['p/beta/src/main.ts', 21], ['p/beta/src/main.ts', 1],
      ]);
    }
  });

  it('by blob, tree and pack id (prefixes too); the root tree of a snapshot counts', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const root = join(work, 'p');
    await buildProject(root);
    const id = await take(repo, [root]);
    const main = (await findInSnapshots(repo, { patterns: ['/p/acme/src/main.ts'] })).matches[0]!.node!;
    const blob = toHex(main.content![0]!);
    const byBlob = await findInSnapshots(repo, { blobs: [blob.slice(0, 10)] });
    expect(byBlob.matches.map((m) => [m.path, m.ids])).toEqual([['p/acme/src/main.ts', [blob]]]);
    const src = (await findInSnapshots(repo, { patterns: ['/p/acme/src'] })).matches[0]!.node!;
    const tree = toHex(src.subtree!);
    expect((await findInSnapshots(repo, { trees: [tree] })).matches.map((m) => m.path)).toEqual(['p/acme/src']);
    const rootTree = toHex((await listSnapshots(repo)).snapshots[0]!.snapshot.tree);
    const byRoot = await findInSnapshots(repo, { trees: [rootTree.slice(0, 12)] });
    expect(byRoot.matches).toEqual([{ path: '', node: null, ids: [rootTree], snapshots: [id] }]);
    // A pack: every file with a data blob in it, every folder whose listing is in it.
    const pack = toHex(repo.index.lookup(main.content![0]!)!.packId);
    const byPack = await findInSnapshots(repo, { packs: [pack.slice(0, 8)] });
    expect(byPack.matches.map((m) => m.path)).toContain('p/acme/src/main.ts');
    for (const match of byPack.matches) expect(match.ids.some((i) => toHex(repo.index.lookup(Uint8Array.from(Buffer.from(i, 'hex')))!.packId) === pack)).toBe(true);
    // Patterns and ids together: both must hold.
    expect((await findInSnapshots(repo, { patterns: ['*.json'], blobs: [blob] })).matches).toEqual([]);
  });

  it('--oldest/--newest by mtime, and the snapshot filters', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const root = join(work, 'p');
    await buildProject(root);
    await utimes(join(root, 'acme/src/main.ts'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    await utimes(join(root, 'acme/src/util.ts'), new Date('2022-01-01T00:00:00Z'), new Date('2022-01-01T00:00:00Z'));
    const laptop = await take(repo, [root], { hostname: 'laptop', tags: ['nightly'] });
    const desk = await take(repo, [join(root, 'beta')], { hostname: 'desk', day: 2 });
    const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
    expect(await paths(repo, { patterns: ['*.ts'], newest: ns('2021-01-01T00:00:00Z') })).toEqual(['p/acme/src/main.ts']);
    expect(await paths(repo, { patterns: ['*.ts'], oldest: ns('2021-01-01T00:00:00Z'), newest: ns('2023-01-01T00:00:00Z') })).toEqual(['p/acme/src/util.ts']);
    expect(await paths(repo, { patterns: ['main.ts'], filter: { hosts: ['desk'] } })).toEqual(['beta/src/main.ts']);
    expect(await paths(repo, { patterns: ['main.ts'], filter: { tags: [['nightly']] } })).toEqual(['p/acme/src/main.ts', 'p/beta/src/main.ts']);
    expect(await paths(repo, { patterns: ['main.ts'], filter: { paths: [join(root, 'beta')] } })).toEqual(['beta/src/main.ts']);
    expect((await findInSnapshots(repo, { patterns: ['main.ts'], snapshots: [desk.slice(0, 8)] })).snapshots).toEqual([desk]);
    expect((await findInSnapshots(repo, { patterns: ['main.ts'], snapshots: [desk, laptop, 'latest'] })).snapshots).toEqual([laptop, desk]);
    await expect(findInSnapshots(repo, { patterns: ['main.ts'], snapshots: [desk], filter: { hosts: ['laptop'] } })).rejects.toThrow(/does not match host laptop/);
  });

  it('bad patterns and ids: ERR_USAGE or ERR_NOT_FOUND naming them', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await buildProject(join(work, 'p'));
    await take(repo, [join(work, 'p')]);
    const failure = async (query: FindQuery): Promise<{ code: string; message: string }> => {
      const error = await findInSnapshots(repo, query).then(() => undefined, (e: unknown) => e);
      if (!isCairnError(error)) throw new Error(`expected a CairnError, got ${String(error)}`);
      return { code: error.code, message: error.message };
    };
    for (const bad of ['', '/', '**', 'a/../b', '[z-a]']) {
      expect((await failure({ patterns: [bad] })).code, bad).toBe('ERR_USAGE');
    }
    expect(await failure({ patterns: ['[z-a].txt'] })).toEqual({ code: 'ERR_USAGE', message: 'find pattern "[z-a].txt" is not a valid glob: "[z-a].txt" can match nothing' });
    expect(await failure({ blobs: ['xyz'] })).toEqual({ code: 'ERR_USAGE', message: '"xyz" is not a blob id: give hex digits of an id (at most 64)' });
    expect((await failure({ blobs: ['0'.repeat(64)] })).code).toBe('ERR_NOT_FOUND');
    expect((await failure({ trees: ['0'.repeat(40)] })).message).toBe('no tree has an id starting with "0000000000000000000000000000000000000000"');
    expect((await failure({ packs: ['0'.repeat(64)] })).code).toBe('ERR_NOT_FOUND');
    expect((await failure({ patterns: ['x'], snapshots: ['ffffffff'] })).code).toBe('ERR_NOT_FOUND');
    expect(() => compileFindPattern('')).toThrow(/is empty/);
  });
});
