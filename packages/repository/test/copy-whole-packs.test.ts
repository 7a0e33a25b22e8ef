/**
 * copy between two unencrypted repositories that cut files alike: a source pack whose every blob
 * is wanted is copied as it is (same name, its index entries taken as they are), checked against
 * its name first; any other pack goes blob by blob.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { backup, check, copySnapshots, initRepository, listSnapshots, openRepository } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { flipByte, seededBytes, tempDir } from './helpers.js';
import { fileHashes, restoredHashes, SMALL, writeFiles } from './lifecycle-helpers.js';

function open(dir: string): Promise<Repository> {
  return openRepository(createLocalBackend(dir));
}

/** Every pack file of a repository: name → path. */
async function packsOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const sub of await readdir(join(dir, 'data'))) {
    for (const name of await readdir(join(dir, 'data', sub))) if (!name.startsWith('.')) out.set(name, join(dir, 'data', sub, name));
  }
  return out;
}

/** Every index entry of a repository as text (id, pack and every field of its location), sorted. */
function entriesOf(repo: Repository): string[] {
  const out: string[] = [];
  for (const [id, location] of repo.index.entries()) {
    const { packId, base, ...rest } = location;
    out.push(`${toHex(id)} ${toHex(packId)} ${JSON.stringify(rest)}${base === undefined ? '' : ` base ${toHex(base)}`}`);
  }
  return out.sort();
}

/** Files left by writers that died or failed (temporary names) anywhere in a repository. */
async function temporaries(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((path) => path.split('/').some((part) => part.startsWith('.tmp-')));
}

async function backupOf(repo: Repository, path: string, time: Date): Promise<string> {
  return (await backup(repo, { source: createLocalSource(), paths: [path], time })).id;
}

describe('copy of whole packs', () => {
  it('copies every pack as it is into an empty repository: same pack files, same index entries, restores byte-exact, check --read-data clean; a second copy adds nothing', async () => {
    const work = await tempDir();
    const tree = join(work, 'tree');
    await writeFiles(join(tree, 'a'), 1, 40);
    await writeFiles(join(tree, 'b', 'c'), 2, 30);
    const src = join(work, 'src');
    const dst = join(work, 'dst');
    const source = await initRepository(createLocalBackend(src), SMALL);
    await backupOf(source, tree, new Date(Date.UTC(2026, 0, 1)));
    await writeFile(join(tree, 'a', 'new.bin'), seededBytes(70_000, 5));
    const second = await backupOf(source, tree, new Date(Date.UTC(2026, 0, 2)));
    await initRepository(createLocalBackend(dst), SMALL);

    const result = await copySnapshots(await open(src), await open(dst), { threads: 0 });
    expect(result.failed).toEqual([]);
    expect(result.copied).toHaveLength(2);
    const sourcePacks = await packsOf(src);
    expect(sourcePacks.size).toBeGreaterThan(10); // data and tree packs of both backups
    expect(result.packsCopiedWhole).toBe(sourcePacks.size);
    expect(result.packsAdded).toBe(sourcePacks.size);
    const destPacks = await packsOf(dst);
    expect([...destPacks.keys()].sort()).toEqual([...sourcePacks.keys()].sort());
    for (const [name, path] of sourcePacks) expect((await readFile(destPacks.get(name)!)).equals(await readFile(path))).toBe(true);
    const dest = await open(dst);
    expect(entriesOf(dest)).toEqual(entriesOf(await open(src)));
    expect(await restoredHashes(dest, second, 'tree')).toEqual(await fileHashes(tree));
    expect((await check(dest, { readData: true })).problems).toEqual([]);

    const indexFiles = (await readdir(join(dst, 'index'))).length;
    const twice = await copySnapshots(await open(src), dest, { threads: 0 });
    expect(twice.copied).toEqual([]);
    expect(twice.skipped).toHaveLength(2);
    expect(twice.packsCopiedWhole + twice.packsAdded + twice.dataBlobsAdded + twice.treeBlobsAdded + twice.bytesRead).toBe(0);
    expect((await packsOf(dst)).size).toBe(destPacks.size);
    expect((await readdir(join(dst, 'index'))).length).toBe(indexFiles);
  }, 60_000);

  it('a pack holding one blob the destination has already goes blob by blob; the others are copied whole', async () => {
    const work = await tempDir();
    const tree = join(work, 'tree');
    const files = await writeFiles(tree, 3, 30);
    const src = join(work, 'src');
    const dst = join(work, 'dst');
    const source = await initRepository(createLocalBackend(src), SMALL);
    const id = await backupOf(source, tree, new Date(Date.UTC(2026, 0, 1)));
    // The destination holds one of the files already (the same chunks: same chunker parameters).
    const one = join(work, 'one');
    await writeFiles(one, 3, 1);
    expect((await readFile(join(one, 'f0.bin'))).equals(files.get('f0.bin')!)).toBe(true);
    const dest = await initRepository(createLocalBackend(dst), SMALL);
    await backupOf(dest, one, new Date(Date.UTC(2025, 0, 1)));
    const held = new Set<string>();
    for (const [blob] of dest.index.entries()) held.add(toHex(blob));
    // The source packs that hold one of those blobs.
    const sourceRepo = await open(src);
    const mixed = new Set<string>();
    for (const [blob, location] of sourceRepo.index.entries()) if (held.has(toHex(blob))) mixed.add(toHex(location.packId));
    expect(mixed.size).toBeGreaterThan(0);
    const destBefore = new Set((await packsOf(dst)).keys());

    const result = await copySnapshots(sourceRepo, await open(dst), { threads: 0 });
    expect(result.failed).toEqual([]);
    const sourcePacks = await packsOf(src);
    expect(result.packsCopiedWhole).toBe(sourcePacks.size - mixed.size);
    const destPacks = new Set((await packsOf(dst)).keys());
    for (const pack of mixed) expect(destPacks.has(pack)).toBe(false); // its other blobs went into new packs
    for (const pack of sourcePacks.keys()) if (!mixed.has(pack)) expect(destPacks.has(pack)).toBe(true);
    expect(destPacks.size).toBeGreaterThan(destBefore.size + result.packsCopiedWhole);
    const after = await open(dst);
    expect(await restoredHashes(after, id, 'tree')).toEqual(await fileHashes(tree));
    expect((await check(after, { readData: true })).problems).toEqual([]);
  }, 60_000);

  it('a source pack with a byte flipped is refused by name: no pack file, no index entry and no temporary of it in the destination, no snapshot', async () => {
    const work = await tempDir();
    const tree = join(work, 'tree');
    await writeFiles(tree, 4, 20);
    const src = join(work, 'src');
    const dst = join(work, 'dst');
    const source = await initRepository(createLocalBackend(src), SMALL);
    await backupOf(source, tree, new Date(Date.UTC(2026, 0, 1)));
    // A data pack in the middle of the copy's order is damaged: in the blobs' area, where the header does not see it.
    const dataPacks = new Map<string, Id>();
    for (const [, location] of source.index.entries()) if (location.type === 'data') dataPacks.set(toHex(location.packId), location.packId);
    const victim = [...dataPacks.keys()].sort()[Math.floor(dataPacks.size / 2)]!;
    const path = (await packsOf(src)).get(victim)!;
    await flipByte(path, 10);
    await initRepository(createLocalBackend(dst), SMALL);

    const result = await copySnapshots(await open(src), await open(dst), { threads: 0 });
    expect(result.copied).toEqual([]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.code).toBe('ERR_INTEGRITY');
    expect(result.failed[0]!.message).toContain(victim);
    const dest = await open(dst);
    expect((await packsOf(dst)).has(victim)).toBe(false);
    for (const [, location] of dest.index.entries()) expect(toHex(location.packId)).not.toBe(victim);
    expect(await temporaries(dst)).toEqual([]);
    expect((await listSnapshots(dest)).snapshots).toEqual([]);
    // What was written before the damage was found is whole and indexed: check finds nothing wrong.
    expect((await check(dest, { readData: true })).problems).toEqual([]);
    expect((await stat(path)).size).toBeGreaterThan(0);
  }, 60_000);

  it('mixed deltas: a pack of deltas whose bases are not copied goes blob by blob (stored whole); copied after its bases it goes whole, deltas kept; into a repository without deltas none is adopted', async () => {
    const work = await tempDir();
    const tree = join(work, 'tree');
    await mkdir(tree, { recursive: true });
    const lines = Array.from({ length: 4000 }, (_, i) => `line ${i}: ${seededBytes(12, i).toString('hex')};`);
    const src = join(work, 'src');
    const source = await initRepository(createLocalBackend(src));
    const versions: { id: string; hashes: Map<string, string> }[] = [];
    for (let v = 0; v < 3; v += 1) {
      if (v > 0) lines[v * 977] = `edited in version ${v}`;
      await writeFile(join(tree, 'file.txt'), `${lines.join('\n')}\n`);
      // A whole blob beside the delta, each version's own (so a snapshot holds no other's).
      if (v > 0) await rm(join(tree, `own-${v - 1}.bin`));
      await writeFile(join(tree, `own-${v}.bin`), seededBytes(40_000, 100 + v));
      versions.push({ id: await backupOf(source, tree, new Date(Date.UTC(2026, 0, 1 + v))), hashes: await fileHashes(tree) });
    }
    const deltas = (repo: Repository): number => [...repo.index.entries()].filter(([, location]) => location.codec === 'delta').length;
    expect(deltas(await open(src))).toBe(2);

    // Only the newest snapshot: its delta's base is in no copied snapshot, so its pack goes blob by blob.
    const dst = join(work, 'dst');
    await initRepository(createLocalBackend(dst));
    const latest = await copySnapshots(await open(src), await open(dst), { threads: 0, snapshots: [versions[2]!.id] });
    expect(latest.failed).toEqual([]);
    const first = await open(dst);
    expect(deltas(first)).toBe(0);
    expect(await restoredHashes(first, versions[2]!.id, 'tree')).toEqual(versions[2]!.hashes);
    expect((await check(first, { readData: true })).problems).toEqual([]);

    // Then all: the older snapshots' packs go whole, in time order, so each delta's base is written before it.
    const all = await copySnapshots(await open(src), await open(dst), { threads: 0 });
    expect(all.failed).toEqual([]);
    expect(all.copied.map((c) => c.source)).toEqual([versions[0]!.id, versions[1]!.id]);
    expect(all.packsCopiedWhole).toBeGreaterThan(0);
    const both = await open(dst);
    expect(deltas(both)).toBe(1); // version 1's delta, copied as it is beside its base (version 0's chunk)
    for (const v of versions) expect(await restoredHashes(both, v.id, 'tree')).toEqual(v.hashes);
    expect((await check(both, { readData: true })).problems).toEqual([]);

    // A destination without deltas or groups (format version 1) takes no pack of deltas as it is.
    const old = join(work, 'old');
    await initRepository(createLocalBackend(old), { deltas: false, groups: false });
    const plain = await copySnapshots(await open(src), await open(old), { threads: 0 });
    expect(plain.failed).toEqual([]);
    const oldRepo = await open(old);
    expect(oldRepo.config.version).toBe(1);
    expect(deltas(oldRepo)).toBe(0);
    expect(plain.packsCopiedWhole).toBeGreaterThan(0); // the tree packs and the first backup's data
    for (const v of versions) expect(await restoredHashes(oldRepo, v.id, 'tree')).toEqual(v.hashes);
    expect((await check(oldRepo, { readData: true })).problems).toEqual([]);
  }, 60_000);
});
