import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { backup, check, initRepository, restore } from '../../repository/src/index.js';
import type { Repository } from '../../repository/src/index.js';
import { createLocalBackend } from '@cairn/transport';
import { createDeviceSource, createDeviceTarget } from '@cairn/device';
import { boardTree, localTree, seedBoardTree, simDevice } from './device-helpers.js';
import { tempDir } from '../../transport/test/temp-dir.js';

async function snapshotCount(repo: Repository): Promise<number> {
  let n = 0;
  for await (const file of repo.backend.list('snapshot')) if (file.name !== '') n += 1;
  return n;
}

/** A repository holding one backup of the seeded board. */
async function backedUpBoard(): Promise<{ seed: string; repo: Repository }> {
  const seed = await tempDir();
  await seedBoardTree(seed);
  const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
  const device = await simDevice({ seed });
  const result = await backup(repo, { source: createDeviceSource(device), paths: ['/'], threads: 0 });
  expect(result.warnings).toEqual([]);
  await device.close();
  return { seed, repo };
}

describe('faults on the link and on the board', () => {
  it('a board that stops answering mid-file: a timeout naming the port and what was expected; no snapshot', async () => {
    const seed = await tempDir();
    await seedBoardTree(seed);
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const device = await simDevice({ seed }, { timeoutMs: 800 });
    device.sim?.injectFault({ kind: 'stall', afterBytes: 60_000 }); // inside the 200 KB file
    const error = await backup(repo, { source: createDeviceSource(device), paths: ['/'], threads: 0 }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_ABORTED')).toBe(true);
    expect((error as Error).message).toBe('the board at sim did not answer within 0.8 s: expected the output of reading /lib/big.bin');
    expect(isCairnError((error as Error).cause, 'ERR_TRANSIENT')).toBe(true);
    expect(await snapshotCount(repo)).toBe(0);
    const checked = await check(repo, { readData: true });
    expect(checked.problems).toEqual([]);

    // The repository takes the next backup as if nothing had happened.
    const again = await simDevice({ seed });
    const result = await backup(repo, { source: createDeviceSource(again), paths: ['/'], threads: 0 });
    expect(result.partial).toBe(false);
    expect(await snapshotCount(repo)).toBe(1);
  });

  it('a full flash during a restore: the restore stops writing and names the file (partial), and no partial file is on the board', async () => {
    const { seed, repo } = await backedUpBoard();
    const board = await simDevice({ freeBytes: 50_000 });
    const result = await restore(repo, 'latest', { target: createDeviceTarget(board) });
    expect(result.problems[0]?.message).toBe("the board at sim: writing /lib/big.bin: no space left on the board's filesystem (ENOSPC)");
    // Neither big.bin nor its temporary file; what was written before it is complete.
    const tree = await boardTree(board);
    expect([...tree.keys()].filter((path) => path.includes('big.bin'))).toEqual([]);
    expect(tree.get('boot.py')).toBe((await localTree(seed)).get('boot.py'));
  });

  it('a link that drops mid-restore leaves no half-written file under its name; running the restore again completes it', async () => {
    const { seed, repo } = await backedUpBoard();
    const board = await simDevice({}, { timeoutMs: 2000 });
    board.sim?.injectFault({ kind: 'drop', afterBytes: 1500 });
    const error = await restore(repo, 'latest', { target: createDeviceTarget(board) }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_IO')).toBe(true);
    expect((error as Error).message).toMatch(/^the link to sim closed while waiting for .* \(writing \/lib\/big\.bin\)$/);

    // What the board's flash holds now: the partial file only under its temporary name.
    const flash = await tempDir();
    await board.sim?.saveFlash(flash);
    expect((await readdir(join(flash, 'lib'))).filter((name) => name.includes('big.bin'))).toEqual(['.big.bin.cairn-part']);

    const resumed = await simDevice({ seed: flash });
    const result = await restore(repo, 'latest', { target: createDeviceTarget(resumed) });
    expect(result.problems).toEqual([]);
    const tree = await boardTree(resumed);
    expect(tree.has('lib/.big.bin.cairn-part')).toBe(false);
    expect(tree).toEqual(await localTree(seed));
  });
});
