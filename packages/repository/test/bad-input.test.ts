import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { backup, findSnapshot, initRepository, openRepository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { tempDir } from './helpers.js';

describe('bad input', () => {
  it('backup of a missing path fails before writing anything', async () => {
    const work = await tempDir();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const error = await backup(repo, { source: createLocalSource(), paths: [join(work, 'nope')] }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_NOT_FOUND')).toBe(true);
    expect(String(error)).toContain(join(work, 'nope'));
    expect(await readdir(join(work, 'repo', 'snapshots'))).toEqual([]);
    expect(await readdir(join(work, 'repo', 'index'))).toEqual([]);
  });

  it('a folder that is not a repository, and a file, are named as such', async () => {
    const work = await tempDir();
    await mkdir(join(work, 'plain'));
    const plain = await openRepository(createLocalBackend(join(work, 'plain'))).catch((e: unknown) => e);
    expect(isCairnError(plain, 'ERR_NOT_REPOSITORY')).toBe(true);
    expect(String(plain)).toContain(join(work, 'plain'));
    await writeFile(join(work, 'file'), 'x');
    const file = await openRepository(createLocalBackend(join(work, 'file'))).catch((e: unknown) => e);
    expect(isCairnError(file, 'ERR_NOT_REPOSITORY')).toBe(true);
    expect(await readdir(join(work, 'plain'))).toEqual([]);
  });

  it('a repository of format version 99 is refused, not guessed at', async () => {
    const work = await tempDir();
    const dir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(dir));
    const config = { ...repo.config, version: 99 };
    await writeFile(join(dir, 'config'), JSON.stringify(config));
    const error = await openRepository(createLocalBackend(dir)).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_VERSION')).toBe(true);
    expect(String(error)).toMatch(/99/);
  });

  it('init refuses to overwrite an existing repository', async () => {
    const work = await tempDir();
    await initRepository(createLocalBackend(join(work, 'repo')));
    const error = await initRepository(createLocalBackend(join(work, 'repo'))).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_EXISTS')).toBe(true);
  });

  it('snapshot references: unknown, ambiguous and latest', async () => {
    const work = await tempDir();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    await expect(findSnapshot(repo, 'latest')).rejects.toThrow(/no snapshot yet/);
    await mkdir(join(work, 'a'));
    const ids = [];
    for (let i = 0; i < 20; i += 1) {
      await writeFile(join(work, 'a', 'f'), String(i));
      ids.push((await backup(repo, { source: createLocalSource(), paths: [join(work, 'a')], time: new Date(Date.UTC(2020, 0, 1 + i)) })).id);
    }
    expect((await findSnapshot(repo, 'latest')).id).toBe(ids[19]);
    const prefixes = ids.map((id) => id[0]);
    const shared = prefixes.find((p, i) => prefixes.indexOf(p) !== i) ?? '';
    const ambiguous = await findSnapshot(repo, shared).catch((e: unknown) => e);
    expect(isCairnError(ambiguous, 'ERR_AMBIGUOUS')).toBe(true);
    await expect(findSnapshot(repo, 'zz')).rejects.toThrow(/not a snapshot id/);
    expect(existsSync(join(work, 'repo', 'locks'))).toBe(true);
  });
});
