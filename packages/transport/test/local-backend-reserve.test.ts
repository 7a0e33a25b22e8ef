import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { createLocalBackend, packReserve } from '@cairn/transport';
import { hexName } from './backend-contract.js';
import { smallFs as smallTmpfs } from './small-fs.js';

const name = (n: number): string => hexName(new TextEncoder().encode(String(n)));
const smallFs = (): Promise<string | undefined> => smallTmpfs('4m'); // the reserve's figures below are for 4 MiB

describe('the local backend on a filesystem that fills up', () => {
  it('refuses the pack that would take the reserve, so a lock, an index and a snapshot still fit afterwards', async (context) => {
    const mnt = await smallFs();
    if (mnt === undefined) {
      context.skip('cannot mount a size-limited tmpfs (needs root)');
      return;
    }
    const backend = createLocalBackend(join(mnt, 'repo'));
    await backend.create();
    const free = async () => {
      const fs = await statfs(mnt);
      return { free: fs.bavail * fs.bsize, reserve: packReserve(fs.blocks * fs.bsize) };
    };
    expect(packReserve(4 * 1024 * 1024)).toBe(256 * 1024);
    expect(packReserve(1e9)).toBe(1e7);
    expect(packReserve(1e15)).toBe(64 * 1024 * 1024);

    let written = 0;
    let refused: unknown;
    for (let i = 0; i < 100 && refused === undefined; i++) {
      await backend.write('data', name(i), randomBytes(300_000)).then(() => { written++; }, (error: unknown) => { refused = error; });
    }
    expect(written).toBeGreaterThan(5);
    expect(isCairnError(refused, 'ERR_NO_SPACE')).toBe(true);
    expect((refused as Error).message).toContain(`no space left for repository ${join(mnt, 'repo')}`);
    const after = await free();
    expect(after.free).toBeGreaterThanOrEqual(after.reserve);
    // What frees space again still fits.
    await backend.write('lock', name(1000), randomBytes(200));
    await backend.write('index', name(1001), randomBytes(50_000));
    await backend.write('snapshot', name(1002), randomBytes(2_000));
  });

  it('counts the packs being written side by side: of several that each fit alone but not together, the reserve still stays free', async (context) => {
    const mnt = await smallFs();
    if (mnt === undefined) {
      context.skip('cannot mount a size-limited tmpfs (needs root)');
      return;
    }
    const backend = createLocalBackend(join(mnt, 'repo'));
    await backend.create();
    const fs = await statfs(mnt);
    const room = fs.bavail * fs.bsize - packReserve(fs.blocks * fs.bsize);
    // Three packs started at once, each 35% of the room above the reserve: together they fit on the
    // filesystem only by taking part of the reserve, and each alone would pass a check blind to the others.
    expect(room * 0.05).toBeLessThan(packReserve(fs.blocks * fs.bsize));
    const results = await Promise.allSettled([0, 1, 2].map((i) => backend.write('data', name(2000 + i), randomBytes(Math.floor(room * 0.35)))));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThanOrEqual(1);
    for (const r of results) if (r.status === 'rejected') expect(isCairnError(r.reason, 'ERR_NO_SPACE'), String(r.reason)).toBe(true);
    const after = await statfs(mnt);
    expect(after.bavail * after.bsize).toBeGreaterThanOrEqual(packReserve(after.blocks * after.bsize));
  });
});
