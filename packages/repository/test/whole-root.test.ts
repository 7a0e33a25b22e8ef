import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Source } from '@cairn/core';
import { backup, initRepository, listSnapshot } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { buildSampleTree, tempDir } from './helpers.js';

/** A filesystem whose "/" is a local folder, as a device's filesystem is to cairn. */
function rootedSource(root: string): Source {
  const local = createLocalSource();
  const real = (path: string): string => join(root, path);
  return {
    name: `rooted:${root}`,
    resolve: (path) => (path.startsWith('/') ? path : `/${path}`),
    join: (dir, name) => (dir === '/' ? `/${name}` : `${dir}/${name}`),
    lstat: (path) => local.lstat(real(path)),
    readdir: (path) => local.readdir(real(path)),
    readlink: (path) => local.readlink(real(path)),
    openFile: (path) => local.openFile(real(path)),
  };
}

describe('a backup of "/" alone', () => {
  it('has the tree of "/" as its root and compares with the previous "/"', async () => {
    const work = await tempDir();
    const fs = join(work, 'fs');
    await buildSampleTree(fs, { bigFileSize: 1000 });
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const first = await backup(repo, { source: rootedSource(fs), paths: ['/'] });
    expect(first.snapshot.paths).toEqual(['/']);
    const top: string[] = [];
    for await (const entry of listSnapshot(repo, first.id, '', { recursive: false })) top.push(entry.path);
    expect(top).toContain('src');
    expect(top).toContain('big.bin');

    const second = await backup(repo, { source: rootedSource(fs), paths: ['/'] });
    expect(second.snapshot.summary).toMatchObject({ filesNew: 0, filesChanged: 0, filesUnchanged: 12 });
    expect(second.snapshot.tree).toEqual(first.snapshot.tree);
  });

  it('is refused together with other paths', async () => {
    const work = await tempDir();
    await buildSampleTree(join(work, 'fs'), { bigFileSize: 10 });
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    await expect(backup(repo, { source: rootedSource(join(work, 'fs')), paths: ['/', '/src'] })).rejects.toThrow(/"\/" holds every other path/);
  });
});
