import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, initRepository, restore } from '../../repository/src/index.js';
import type { Repository } from '../../repository/src/index.js';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { createDeviceSource } from '@cairn/device';
import type { Device, DeviceSourceOptions } from '@cairn/device';
import { seedBoardTree, simDevice } from './device-helpers.js';
import { tempDir } from '../../transport/test/temp-dir.js';

/** Backs the whole board up and returns the snapshot's summary and the bytes that crossed the link, counted at the board. */
async function measuredBackup(repo: Repository, device: Device, options: DeviceSourceOptions = {}) {
  const before = device.sim?.counts ?? { toBoard: 0, fromBoard: 0 };
  const result = await backup(repo, { source: createDeviceSource(device, options), paths: ['/'], hostname: 'board', threads: 0 });
  const after = device.sim?.counts ?? { toBoard: 0, fromBoard: 0 };
  return { result, wire: after.toBoard - before.toBoard + after.fromBoard - before.fromBoard };
}

async function restoredFile(repo: Repository, id: string, path: string): Promise<string> {
  const out = await tempDir();
  await restore(repo, id, { target: createLocalTarget(out), include: [path] });
  return readFile(join(out, path), 'utf8');
}

describe('incremental backups of a board', () => {
  it('with mtimes: an unchanged board costs a listing line per entry; a changed file costs its own bytes', async () => {
    const seed = await tempDir();
    await seedBoardTree(seed);
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const device = await simDevice({ seed });
    expect(device.info.clockSet).toBe(true);

    const first = await measuredBackup(repo, device);
    expect(first.wire).toBeGreaterThan(200 * 1024); // the 200 KB file crossed once

    const unchanged = await measuredBackup(repo, device);
    expect(unchanged.result.snapshot.summary).toMatchObject({ filesNew: 0, filesChanged: 0, filesUnchanged: 7, bytesRead: 0 });
    const entries = 7 + 5; // files and folders below "/"
    expect(unchanged.wire / entries).toBeLessThan(100);

    const text = 'print("changed on the board")\n'.repeat(40);
    device.sim?.writeFile('/main.py', text);
    const changed = await measuredBackup(repo, device);
    expect(changed.result.snapshot.summary).toMatchObject({ filesChanged: 1, filesUnchanged: 6, bytesRead: text.length });
    // Only main.py's bytes crossed (compressed on the way), plus its stat and the read call.
    expect(changed.wire - unchanged.wire).toBeLessThan(text.length + 300);
    expect(changed.wire - unchanged.wire).toBeGreaterThan(0);
    expect(await restoredFile(repo, changed.result.id, 'main.py')).toBe(text);
  });

  it('without a clock: compares the board\'s sha256 with the parent and reads only the file that differs', async () => {
    const seed = await tempDir();
    await seedBoardTree(seed);
    const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
    const device = await simDevice({ seed });
    const noClock = { trustMtime: false };

    await measuredBackup(repo, device, noClock);
    const unchanged = await measuredBackup(repo, device, noClock);
    expect(unchanged.result.snapshot.summary).toMatchObject({ filesUnchanged: 7, bytesRead: 0 });

    // Same size, other bytes: size and mtime could not show it; the digest does.
    const original = await readFile(join(seed, 'lib', 'drivers', 'sensor.py'), 'utf8');
    const edited = original.replace('return 42', 'return 43');
    expect(edited.length).toBe(original.length);
    device.sim?.writeFile('/lib/drivers/sensor.py', edited);
    const changed = await measuredBackup(repo, device, noClock);
    expect(changed.result.snapshot.summary).toMatchObject({ filesChanged: 1, filesUnchanged: 6, bytesRead: edited.length });
    expect(changed.wire - unchanged.wire).toBeLessThan(edited.length * 2 + 300);
    expect(changed.wire).toBeLessThan(20 * 1024); // the 200 KB file did not cross
    expect(await restoredFile(repo, changed.result.id, 'lib/drivers/sensor.py')).toBe(edited);
  });
});
