import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import { check, parseDataSubset } from '@cairn/repository';
import { selectSubset } from '@cairn/repository/testing';
import { tempDir } from './helpers.js';
import { backupDir, packFiles, reopen, smallRepo, writeFiles } from './lifecycle-helpers.js';

const hexes = Array.from({ length: 300 }, (_, i) => (i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0').repeat(8));

describe('check --read-data-subset', () => {
  it('parses N% and K/M, and names a bad value', () => {
    expect(parseDataSubset('10%')).toEqual({ percent: 10 });
    expect(parseDataSubset('2.5%')).toEqual({ percent: 2.5 });
    expect(parseDataSubset('100%')).toEqual({ percent: 100 });
    expect(parseDataSubset('2/5')).toEqual({ part: 2, of: 5 });
    for (const bad of ['0%', '101%', '%', '0/3', '4/3', '1/257', 'half', '1/2/3']) {
      expect(() => parseDataSubset(bad)).toThrow(`--read-data-subset wants N% (0 < N <= 100) or K/M (1 <= K <= M <= 256), not ${JSON.stringify(bad)}`);
    }
  });

  it('K/M splits the packs into M fixed, disjoint groups by the first byte of their id', () => {
    const parts = [1, 2, 3, 4, 5].map((part) => selectSubset(hexes, { part, of: 5 }));
    expect(parts.reduce((sum, p) => sum + p.size, 0)).toBe(hexes.length);
    expect(new Set(parts.flatMap((p) => [...p])).size).toBe(hexes.length);
    for (const [i, part] of parts.entries()) for (const hex of part) expect(Number.parseInt(hex.slice(0, 2), 16) % 5).toBe(i);
    expect(selectSubset(hexes, { part: 2, of: 5 })).toEqual(parts[1]);
  });

  it('N% picks that share of the packs at random (at least one)', () => {
    expect(selectSubset(hexes, { percent: 10 }).size).toBe(30);
    expect(selectSubset(hexes, { percent: 0.1 }).size).toBe(1);
    expect(selectSubset(hexes, { percent: 100 })).toEqual(new Set(hexes));
    const picks = new Set(Array.from({ length: 20 }, () => [...selectSubset(hexes, { percent: 10 })].sort().join()));
    expect(picks.size).toBeGreaterThan(1);
    expect(selectSubset([], { percent: 50 }).size).toBe(0);
  });

  it('reads the chosen packs whole, reports what it verified, and finds damage only inside the subset', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await writeFiles(join(work, 'proj'), 4, 12);
    await backupDir(repo, join(work, 'proj'));
    const packs = await packFiles(work);
    expect(packs.length).toBeGreaterThan(6);

    const headersOnly = await check(await reopen(work));
    expect(headersOnly.verified).toMatchObject({ packs: packs.length, packsRead: 0, blobs: 0, bytesRead: 0 });

    const fresh = await reopen(work);
    const blobsIn = (hex: string): number => [...fresh.index.entries()].filter(([, at]) => toHex(at.packId) === hex).length;
    const sizeOf = async (hex: string): Promise<number> => (await stat(join(work, 'repo', 'data', hex.slice(0, 2), hex))).size;
    const group = selectSubset(packs, { part: 1, of: 2 });
    const result = await check(fresh, { readDataSubset: { part: 1, of: 2 } });
    expect(result.problems).toEqual([]);
    expect(result.verified.packs).toBe(packs.length);
    expect(result.verified.packsRead).toBe(group.size);
    expect(result.verified.blobs).toBe([...group].reduce((sum, hex) => sum + blobsIn(hex), 0));
    let bytes = 0;
    for (const hex of group) bytes += await sizeOf(hex);
    expect(result.verified.bytesRead).toBe(bytes);

    // Flip a byte inside the first blob of a data pack in group 1 of 2: only reading that group finds it.
    const victim = [...group].find((hex) => [...fresh.index.entries()].some(([, at]) => toHex(at.packId) === hex && at.type === 'data'))!;
    const handle = await open(join(work, 'repo', 'data', victim.slice(0, 2), victim), 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 10);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, 10);
    await handle.close();
    expect((await check(await reopen(work), { readDataSubset: { part: 2, of: 2 } })).problems).toEqual([]);
    const found = await check(await reopen(work), { readDataSubset: { part: 1, of: 2 } });
    expect(found.problems).toEqual([expect.objectContaining({ file: `data/${victim.slice(0, 2)}/${victim}` })]);
    const all = await check(await reopen(work), { readDataSubset: { percent: 100 } });
    expect(all.problems).toHaveLength(1);
    expect(all.verified.packsRead).toBe(packs.length - 1); // the damaged one is a problem, not verified
  });
});
