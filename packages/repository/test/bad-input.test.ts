import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { CONFIG_LIMITS } from '@cairn/index';
import { backup, findSnapshot, initRepository, openRepository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { createChunker } from '@cairn/chunker';
import { loadZstd } from '@cairn/pack';
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

  it('the config ranges are what the chunker and the zstd codec accept (one rule, checked where the config is read)', async () => {
    const c = CONFIG_LIMITS.chunker;
    expect(() => createChunker({ min: c.min.min, avg: c.avg.min, max: c.max.min })).not.toThrow();
    expect(() => createChunker({ min: c.min.max, avg: c.avg.max, max: c.max.max })).not.toThrow();
    expect(() => createChunker({ min: c.min.min - 1, avg: c.avg.min, max: c.max.min })).toThrow(RangeError);
    expect(() => createChunker({ min: c.min.max, avg: c.avg.max + 1, max: c.max.max })).toThrow(RangeError);
    expect(() => createChunker({ min: c.min.max, avg: c.avg.max, max: c.max.max + 1 })).toThrow(RangeError);
    const zstd = await loadZstd();
    const { min, max } = CONFIG_LIMITS.compressionLevel;
    const data = new Uint8Array(1000).fill(7);
    expect(() => zstd.compress(data, min)).not.toThrow();
    expect(() => zstd.compress(data, max)).not.toThrow();
    expect(() => zstd.compress(data, min - 1)).toThrow(RangeError);
    expect(() => zstd.compress(data, max + 1)).toThrow(RangeError);
  });

  it('latest is the newest readable snapshot; with none readable it names the unreadable files instead of "no snapshot yet"', async () => {
    const work = await tempDir();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    await mkdir(join(work, 'a'));
    await writeFile(join(work, 'a', 'f'), 'x');
    const older = await backup(repo, { source: createLocalSource(), paths: [join(work, 'a')], time: new Date(Date.UTC(2020, 0, 1)) });
    const newer = await backup(repo, { source: createLocalSource(), paths: [join(work, 'a')], time: new Date(Date.UTC(2020, 0, 2)) });
    await writeFile(join(work, 'repo', 'snapshots', newer.id), 'garbage');
    const unreadable: string[] = [];
    const latest = await findSnapshot(repo, 'latest', { onUnreadable: (p) => unreadable.push(p.file) });
    expect(latest.id).toBe(older.id);
    expect(unreadable).toEqual([`snapshots/${newer.id}`]);
    await expect(findSnapshot(repo, newer.id.slice(0, 10))).rejects.toThrow(`snapshots/${newer.id} cannot be read`);
    await writeFile(join(work, 'repo', 'snapshots', older.id), 'garbage');
    const none = await findSnapshot(repo, 'latest').catch((e: unknown) => e);
    expect(isCairnError(none, 'ERR_INTEGRITY')).toBe(true);
    expect(String(none)).toContain(`snapshots/${older.id} cannot be read`);
    expect(String(none)).not.toContain('no snapshot yet');
  });
});
