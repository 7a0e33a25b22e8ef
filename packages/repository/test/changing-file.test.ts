import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError } from '@cairn/core';
import type { Source, SourceFile } from '@cairn/core';
import { backup, initRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

/**
 * The local filesystem, except that reading `victim` goes through `tamper` (another writer, a failing
 * disk). Without openDir, so that the walk opens every file through openFile by its path.
 */
function tamperedSource(victim: string, tamper: (pieces: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array>): Source {
  const { openDir: _byPaths, ...local } = createLocalSource();
  return {
    ...local,
    async openFile(path: string): Promise<SourceFile> {
      const file = await local.openFile(path);
      if (path !== victim) return file;
      return { stat: () => file.stat(), close: () => file.close(), chunks: (bufferSize, signal) => tamper(file.chunks(bufferSize, signal)) };
    },
  };
}

describe('a file that changes while it is read', () => {
  it('is reported by name, and the backup is partial', async () => {
    const work = await tempDir();
    await mkdir(join(work, 'tree'));
    const victim = join(work, 'tree', 'growing.log');
    await writeFile(victim, seededBytes(256 * 1024, 9));
    await writeFile(join(work, 'tree', 'steady.txt'), 'steady\n');
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));

    const appending = async function* (pieces: AsyncIterable<Uint8Array>) {
      let first = true;
      for await (const piece of pieces) {
        yield piece;
        if (first) await appendFile(victim, 'written while cairn was reading\n');
        first = false;
      }
    };
    const result = await backup(repo, { source: tamperedSource(victim, appending), paths: [join(work, 'tree')], readBufferSize: 64 * 1024 });
    expect(result.partial).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ kind: 'changed', path: victim })]);
    expect(result.warnings[0]?.message).toMatch(/changed while it was read/);
    expect(result.snapshot.summary.warnings).toBe(1);

    const calm = await backup(repo, { source: createLocalSource(), paths: [join(work, 'tree')] });
    expect(calm.partial).toBe(false);
    expect(calm.warnings).toEqual([]);
  });
});

describe('a file whose read fails part-way', () => {
  it('is skipped with a warning, and none of its bytes leak into the next file', async () => {
    const work = await tempDir();
    await mkdir(join(work, 'tree'));
    const broken = join(work, 'tree', 'a-broken.bin');
    const next = join(work, 'tree', 'b-next.bin');
    await writeFile(broken, seededBytes(300 * 1024, 1));
    await writeFile(next, seededBytes(100 * 1024, 2));
    const failing = tamperedSource(broken, async function* (pieces) {
      for await (const piece of pieces) {
        yield piece;
        throw new CairnError('ERR_IO', `${broken}: input/output error`);
      }
    });
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const result = await backup(repo, { source: failing, paths: [join(work, 'tree')], readBufferSize: 64 * 1024 });
    expect(result.partial).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ kind: 'unreadable', path: broken })]);
    const out = join(work, 'out');
    await restore(repo, result.id, { target: createLocalTarget(out) });
    expect(existsSync(join(out, 'tree', 'a-broken.bin'))).toBe(false);
    expect(await readFile(join(out, 'tree', 'b-next.bin'))).toEqual(seededBytes(100 * 1024, 2));
  });
});
