import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '@cairn/core';
import { defaultCacheDir, withCache } from '@cairn/remote';
import { createLocalBackend } from '@cairn/transport';
import { backendContract, hexName, listAll, rejection } from '../../transport/test/backend-contract.js';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cache-'));
  made.push(dir);
  return dir;
}

/** A real local backend that counts the bytes read from it: what a remote backend would download. */
function counted(backend: Backend): Backend & { downloaded: number } {
  const wrapper = {
    ...backend,
    downloaded: 0,
    async read(...args: Parameters<Backend['read']>) {
      const bytes = await backend.read(...args);
      wrapper.downloaded += bytes.byteLength;
      return bytes;
    },
  };
  return wrapper;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const ID = 'ab'.repeat(32);
const config = bytes(`{"version":1,"id":"${ID}"}`);

async function setUp(): Promise<{ remote: Backend & { downloaded: number }; cache: Backend; dir: string }> {
  const root = await tempDir();
  const remote = counted(createLocalBackend(join(root, 'repo')));
  await remote.create();
  const dir = join(root, 'cache');
  const cache = withCache(remote, { dir });
  await cache.write('config', 'config', config);
  return { remote, cache, dir };
}

backendContract('withCache over local', async () => {
  const root = await tempDir();
  const backend = withCache(createLocalBackend(join(root, 'repo')), { dir: join(root, 'cache'), id: ID });
  await backend.create();
  return backend;
});

describe('withCache', () => {
  it('keeps index, snapshot and key files and tree packs: read again, they are not downloaded', async () => {
    const { remote, cache, dir } = await setUp();
    const index = bytes('index file');
    const snapshot = bytes('snapshot file');
    const tree = bytes('a pack of trees');
    const data = bytes('a pack of file contents');
    await cache.write('index', hexName(index), index);
    await cache.write('snapshot', hexName(snapshot), snapshot);
    await cache.write('key', 'key-1', bytes('key'));
    await cache.write('data', hexName(tree), tree, { treePack: true });
    await cache.write('data', hexName(data), data);
    expect(await cache.read('index', hexName(index))).toEqual(index);
    expect(await cache.read('snapshot', hexName(snapshot))).toEqual(snapshot);
    expect(await cache.read('key', 'key-1')).toEqual(bytes('key'));
    expect(await cache.read('data', hexName(tree), undefined, { treePack: true })).toEqual(tree);
    expect(await cache.read('data', hexName(tree), { offset: 2, length: 4 })).toEqual(tree.subarray(2, 6));
    expect(remote.downloaded).toBe(0);
    expect(await cache.read('data', hexName(data))).toEqual(data); // data packs are not kept
    expect(remote.downloaded).toBe(data.byteLength);
    expect((await readdir(join(dir, ID), { recursive: true })).sort()).toEqual(
      ['data', `data/${hexName(tree)}`, 'index', `index/${hexName(index)}`, 'key', 'key/key-1', 'snapshot', `snapshot/${hexName(snapshot)}`],
    );
  });

  it('always reads the config from the backend (cairn config may replace it)', async () => {
    const { remote, cache } = await setUp();
    await cache.read('config', 'config');
    await cache.read('config', 'config');
    expect(remote.downloaded).toBe(2 * config.byteLength);
  });

  it('fills itself from reads, by the repository id of the config it read', async () => {
    const { remote, dir } = await setUp();
    const snapshot = bytes('made elsewhere');
    await remote.write('snapshot', hexName(snapshot), snapshot);
    const cache = withCache(remote, { dir });
    await cache.read('config', 'config');
    remote.downloaded = 0;
    expect(await cache.read('snapshot', hexName(snapshot))).toEqual(snapshot);
    expect(await cache.read('snapshot', hexName(snapshot))).toEqual(snapshot);
    expect(remote.downloaded).toBe(snapshot.byteLength);
    expect(await readdir(join(dir, ID, 'snapshot'))).toEqual([hexName(snapshot)]);
  });

  it('drops the copies of files a complete listing no longer has (a prune elsewhere)', async () => {
    const { remote, cache, dir } = await setUp();
    const keep = bytes('keep');
    const gone = bytes('gone');
    await cache.write('index', hexName(keep), keep);
    await cache.write('index', hexName(gone), gone);
    await remote.remove('index', hexName(gone)); // another machine's prune
    expect((await listAll(cache, 'index')).map((f) => f.name)).toEqual([hexName(keep)]);
    expect(await readdir(join(dir, ID, 'index'))).toEqual([hexName(keep)]);
    await rejection(cache.read('index', hexName(gone)), 'ERR_NOT_FOUND');
    await cache.remove('index', hexName(keep));
    expect(await readdir(join(dir, ID, 'index'))).toEqual([]);
  });

  it('reads a damaged, truncated or deleted copy again from the backend and keeps the good one', async () => {
    const { remote, cache, dir } = await setUp();
    const index = bytes('an index file of some length');
    await cache.write('index', hexName(index), index);
    const copy = join(dir, ID, 'index', hexName(index));
    for (const damage of [bytes('an index file of some lengtH'), bytes('short'), new Uint8Array(0)]) {
      await writeFile(copy, damage);
      remote.downloaded = 0;
      expect(await cache.read('index', hexName(index))).toEqual(index);
      expect(remote.downloaded).toBe(index.byteLength);
      remote.downloaded = 0;
      expect(await cache.read('index', hexName(index))).toEqual(index);
      expect(remote.downloaded).toBe(0);
    }
    await rm(join(dir, ID), { recursive: true });
    expect(await cache.read('index', hexName(index))).toEqual(index);
    expect(await readdir(join(dir, ID, 'index'))).toEqual([hexName(index)]);
  });

  it('a cache folder that cannot be written only costs downloads', async () => {
    const root = await tempDir();
    const remote = counted(createLocalBackend(join(root, 'repo')));
    await remote.create();
    await writeFile(join(root, 'file'), 'not a folder');
    const cache = withCache(remote, { dir: join(root, 'file', 'cache'), id: ID });
    const snapshot = bytes('s');
    await cache.write('snapshot', hexName(snapshot), snapshot);
    expect(await cache.read('snapshot', hexName(snapshot))).toEqual(snapshot);
    expect(remote.downloaded).toBe(1);
  });

  it('lives under $XDG_CACHE_HOME/cairn, else ~/.cache/cairn', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/cairn');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '' })).toMatch(/\/\.cache\/cairn$/);
  });
});
