import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The engine, from its sources: @cairn/transport cannot depend on @cairn/repository (which depends on it).
import { backup, check, initRepository, listSnapshot, restore } from '../../repository/src/index.js';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { createDeviceSource, createDeviceTarget } from '@cairn/device';
import { deviceTempName } from '../src/device-target.js';
import { boardTree, localBytes, localTree, seedBoardTree, simDevice } from './device-helpers.js';
import { tempDir } from '../../transport/test/temp-dir.js';

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

  it('restoring onto a board that already holds most files sends only the files that differ', async () => {
    const seed = await tempDir();
    await seedBoardTree(seed);
    // Small chunks: the 200 KB file is many chunks, so its digest is the hash of their concatenation.
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')), { chunker: { min: 1024, avg: 4096, max: 16384 } });
    const board = await simDevice({ seed });
    const backed = await backup(repo, { source: createDeviceSource(board), paths: ['/'], threads: 0 });
    await board.close();
    for await (const entry of listSnapshot(repo, backed.id, 'lib')) if (entry.path === 'lib/big.bin') expect(entry.node.content?.length).toBeGreaterThan(5);

    // The board restored onto: the same files but three (one changed in place at the same size, one of another size, one missing), and one the snapshot lacks.
    const onBoard = await tempDir();
    await seedBoardTree(onBoard);
    await writeFile(join(onBoard, 'main.py'), 'import drivers\nprint("HELLO from the board")\n');
    await writeFile(join(onBoard, 'lib', 'drivers', 'sensor.py'), 'changed\n');
    await rm(join(onBoard, 'boot.py'));
    await writeFile(join(onBoard, 'extra.txt'), 'not in the snapshot\n');
    const target = await simDevice({ seed: onBoard });
    const sentBefore = target.sim?.counts.toBoard ?? 0;
    const written: string[] = [];
    const skipped: string[] = [];
    const result = await restore(repo, backed.id, {
      target: createDeviceTarget(target, '/', { onFile: (path) => written.push(path) }),
      onAction: (action) => {
        if (action.action === 'skip') skipped.push(action.path);
      },
    });
    expect(result.problems).toEqual([]);
    expect(written.sort()).toEqual(['/boot.py', '/lib/drivers/sensor.py', '/main.py']);
    expect(result.files).toBe(3);
    expect(skipped.sort()).toEqual(['lib/big.bin', 'lib/drivers/deep/näme with space.txt', 'lib/empty.txt', 'lib/every-byte.bin']);
    expect(result.skipped).toBe(4);
    // The 200 KB file did not cross the link again (the three files written are under 2 KB).
    expect((target.sim?.counts.toBoard ?? 0) - sentBefore).toBeLessThan(20_000);
    const expected = new Map([...(await localTree(seed)).entries(), ['extra.txt', (await localTree(onBoard)).get('extra.txt') ?? '']]);
    expect(await boardTree(target)).toEqual(expected);
  });

  it('restores the snapshot of an empty board as an empty folder, locally and onto another board', async () => {
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const empty = await simDevice();
    const backed = await backup(repo, { source: createDeviceSource(empty), paths: ['/'], threads: 0 });
    expect(backed.partial).toBe(false);

    const local = join(await tempDir(), 'not', 'there', 'yet');
    const restored = await restore(repo, backed.id, { target: createLocalTarget(local) });
    expect(restored.problems).toEqual([]);
    expect(await readdir(local)).toEqual([]);
    // A dry run creates nothing.
    const dry = join(await tempDir(), 'dry');
    await restore(repo, backed.id, { target: createLocalTarget(dry), dryRun: true });
    await expect(readdir(dry)).rejects.toThrow(/ENOENT/);

    const other = await simDevice();
    await restore(repo, backed.id, { target: createDeviceTarget(other, '/restored/empty') });
    expect((await other.fs.stat('/restored/empty')).type).toBe('dir');
    expect(await boardTree(other, '/restored/empty')).toEqual(new Map());
  });

  it('restoring onto a board never removes a folder that is not empty where the snapshot has a file: it is named, the rest is written', async () => {
    const seed = await tempDir();
    await writeFile(join(seed, 'main.py'), 'print(1)\n');
    await writeFile(join(seed, 'boot.py'), 'pass\n');
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const backed = await backup(repo, { source: createDeviceSource(await simDevice({ seed })), paths: ['/'], threads: 0 });
    const occupied = await tempDir();
    await mkdir(join(occupied, 'main.py'));
    await writeFile(join(occupied, 'main.py', 'keep.txt'), 'mine');
    const other = await simDevice({ seed: occupied });
    const restored = await restore(repo, backed.id, { target: createDeviceTarget(other) });
    expect(restored.problems.map((p) => p.path)).toEqual(['main.py']);
    expect(restored.problems[0]?.message).toMatch(/is a folder that is not empty/);
    const tree = await boardTree(other);
    expect(tree.get('main.py/keep.txt')).toBeDefined();
    expect(tree.get('boot.py')).toBeDefined();
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
