import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The engine, from its sources: @cairn/transport cannot depend on @cairn/repository (which depends on it).
import { backup, check, initRepository, listSnapshot, restore } from '../../repository/src/index.js';
import { createLocalBackend, createLocalTarget } from '../src/index.js';
import { createDeviceSource, createDeviceTarget, deviceTempName } from '../src/device/index.js';
import { boardTree, localBytes, localTree, seedBoardTree, simDevice } from './device-helpers.js';
import { tempDir } from './temp-dir.js';

describe('a board backed up and restored through the engine', () => {
  it('backs up a seeded board, restores it into a local folder and onto a fresh board, identical', async () => {
    const seed = await tempDir();
    await seedBoardTree(seed);
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));

    const board = await simDevice({ seed });
    const source = createDeviceSource(board);
    const result = await backup(repo, { source, paths: ['/'], hostname: 'board', threads: 0 });
    expect(result.partial).toBe(false);
    expect(result.snapshot.paths).toEqual(['/']);
    expect(result.snapshot.summary.filesNew).toBe(7);
    expect(result.snapshot.summary.bytesRead).toBe(await localBytes(seed));

    const names: string[] = [];
    for await (const entry of listSnapshot(repo, result.id, '')) names.push(entry.path);
    expect(names).toEqual(expect.arrayContaining(['lib/big.bin', 'lib/drivers/deep/näme with space.txt', 'empty-dir', 'lib/empty.txt']));

    const local = await tempDir();
    const restoredLocal = await restore(repo, 'latest', { target: createLocalTarget(local) });
    expect(restoredLocal.problems).toEqual([]);
    expect(await localTree(local)).toEqual(await localTree(seed));

    const fresh = await simDevice();
    const restoredBoard = await restore(repo, 'latest', { target: createDeviceTarget(fresh) });
    expect(restoredBoard.problems).toEqual([]);
    expect(restoredBoard.files).toBe(7);
    // Checked by the fresh board's own hashlib.sha256, file by file.
    expect(await boardTree(fresh)).toEqual(await localTree(seed));
    expect((await check(repo, { readData: true })).problems).toEqual([]);
  });

  it('backs up and restores one board folder (--path /lib) into another board folder', async () => {
    const seed = await tempDir();
    await seedBoardTree(seed, 3000);
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const board = await simDevice({ seed });
    const result = await backup(repo, { source: createDeviceSource(board), paths: ['lib/drivers/'], threads: 0 });
    expect(result.snapshot.paths).toEqual(['/lib/drivers']);

    const fresh = await simDevice();
    await restore(repo, result.id, { target: createDeviceTarget(fresh, '/restored/here') });
    const tree = await boardTree(fresh, '/restored/here');
    const expected = new Map([...(await localTree(join(seed, 'lib'))).entries()].filter(([path]) => path.startsWith('drivers')));
    expect(tree).toEqual(expected);
    // No temporary file is left next to the restored ones.
    expect([...tree.keys()].some((path) => path.includes(deviceTempName('sensor.py')))).toBe(false);
  });

  it('refuses a path that is not on the board, naming it, and writes nothing', async () => {
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const board = await simDevice();
    const error = await backup(repo, { source: createDeviceSource(board), paths: ['/no/such'], threads: 0 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('cannot back up /no/such: no such file or folder (/no/such)');
    const snapshots = [];
    for await (const file of repo.backend.list('snapshot')) snapshots.push(file);
    expect(snapshots).toEqual([]);
  });
});
