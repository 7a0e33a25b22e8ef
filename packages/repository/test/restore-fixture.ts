import { chmod, link, mkdir, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '@cairn/core';
import type { Backend, Id } from '@cairn/core';
import { backup, initRepository, listSnapshot, openRepository } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

/** Tiny chunks and packs, so that a small tree spreads over many of both. */
// Without groups: these tests damage, count and read single blobs (grouped small blobs have their own test, grouped-blobs.test.ts).
export const TINY = { chunker: { min: 1024, avg: 4096, max: 16384 }, packSize: 32 * 1024, groups: false } as const;

const OLD = new Date('2003-04-05T06:07:08.123Z');

/**
 * A tree for restore tests: a large file over many packs, a file repeating one chunk, two files
 * sharing most chunks, empty files, compressible and incompressible data, hardlinks, symlinks,
 * nested folders with their own modes and mtimes, and a folder of small files.
 */
export async function buildRestoreTree(root: string): Promise<void> {
  await mkdir(join(root, 'nested', 'deep', 'deeper'), { recursive: true });
  await mkdir(join(root, 'small'));
  await writeFile(join(root, 'big.bin'), seededBytes(600 * 1024, 21));
  const block = seededBytes(20_000, 22);
  await writeFile(join(root, 'repeat.bin'), Buffer.concat(Array.from({ length: 12 }, () => block)));
  const shared = seededBytes(100 * 1024, 23);
  await writeFile(join(root, 'shared-a.bin'), shared);
  await writeFile(join(root, 'nested', 'shared-b.bin'), Buffer.concat([Buffer.from('a different start\n'), shared]));
  await writeFile(join(root, 'empty'), '');
  await writeFile(join(root, 'nested', 'deep', 'empty-too'), '');
  await writeFile(join(root, 'text.txt'), 'a line of very compressible text\n'.repeat(3000));
  await writeFile(join(root, 'nested', 'deep', 'deeper', 'leaf.md'), '# leaf\n');
  await writeFile(join(root, 'hard-1'), seededBytes(3000, 24));
  await link(join(root, 'hard-1'), join(root, 'nested', 'deep', 'hard-2'));
  await symlink('text.txt', join(root, 'link-to-text'));
  await symlink('no/such/thing', join(root, 'dangling'));
  for (let i = 0; i < 40; i += 1) await writeFile(join(root, 'small', `s${i}.txt`), `small file ${i}\n`.repeat(1 + i * 7));
  await writeFile(join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'run.sh'), 0o755);
  await chmod(join(root, 'hard-1'), 0o640);
  await chmod(join(root, 'nested', 'deep'), 0o750);
  for (const file of ['big.bin', 'repeat.bin', 'run.sh', 'empty', 'nested/shared-b.bin', 'small/s3.txt']) await utimes(join(root, file), OLD, OLD);
  await utimes(join(root, 'nested', 'deep'), OLD, OLD);
  await utimes(join(root, 'small'), OLD, OLD);
}

/** Counts reads of pack files by the byte ranges asked for, delegating everything to a real backend. */
export interface CountingBackend extends Backend {
  /** Per pack name: the ranges read, in order. */
  readonly packReads: Map<string, { offset: number; length: number }[]>;
}

/** Wraps `inner` so that every read of a data (pack) file is recorded. */
export function countingBackend(inner: Backend): CountingBackend {
  const packReads = new Map<string, { offset: number; length: number }[]>();
  return {
    location: inner.location,
    packReads,
    create: () => inner.create(),
    write: (type, name, data) => inner.write(type, name, data),
    read: async (type, name, range) => {
      if (type === 'data') {
        const list = packReads.get(name) ?? [];
        list.push(range ?? { offset: 0, length: -1 });
        packReads.set(name, list);
      }
      return inner.read(type, name, range);
    },
    stat: (type, name) => inner.stat(type, name),
    list: (type) => inner.list(type),
    remove: (type, name) => inner.remove(type, name),
  };
}

/** A backed-up restore tree: the work folder, the source, the repository folder and the snapshot id. */
export interface BackedUp {
  readonly work: string;
  readonly source: string;
  readonly repoDir: string;
  readonly snapshotId: string;
}

/** Builds the restore tree at `<work>/tree` and backs it up into a tiny-pack repository at `<work>/repo`. */
export async function backedUpTree(): Promise<BackedUp> {
  const work = await tempDir('cairn-restore-');
  const source = join(work, 'tree');
  await buildRestoreTree(source);
  const repoDir = join(work, 'repo');
  const repo = await initRepository(createLocalBackend(repoDir), TINY);
  const { id } = await backup(repo, { source: createLocalSource(), paths: [source] });
  return { work, source, repoDir, snapshotId: id };
}

/** Opens the repository at `repoDir` through a counting backend. */
export async function openCounting(repoDir: string): Promise<{ repo: Repository; backend: CountingBackend }> {
  const backend = countingBackend(createLocalBackend(repoDir));
  return { repo: await openRepository(backend), backend };
}

/** The content chunk ids of each file of a snapshot, by snapshot path. */
export async function fileContents(repo: Repository, snapshotId: string): Promise<Map<string, Id[]>> {
  const out = new Map<string, Id[]>();
  for await (const entry of listSnapshot(repo, snapshotId, '')) if (entry.node.type === 'file') out.set(entry.path, entry.node.content ?? []);
  return out;
}

/**
 * Reads of packs holding data blobs, per pack (a read of exactly one tree blob's range is left
 * out, and so is a read of exactly one delta base's range: those are counted in `baseReads`, by range).
 */
export function contentReads(repo: Repository, backend: CountingBackend, baseReads?: Map<string, number>): Map<string, number> {
  const dataPacks = new Set<string>();
  const treeRanges = new Set<string>();
  const baseRanges = new Set<string>();
  for (const [, location] of repo.index.entries()) {
    if (location.type === 'data') dataPacks.add(toHex(location.packId));
    else treeRanges.add(`${toHex(location.packId)}:${location.offset}:${location.length}`);
    const base = location.base === undefined ? undefined : repo.index.lookup(location.base);
    if (base !== undefined) baseRanges.add(`${toHex(base.packId)}:${base.offset}:${base.length}`);
  }
  const out = new Map<string, number>();
  for (const [pack, ranges] of backend.packReads) {
    const n = ranges.filter((r) => {
      const range = `${pack}:${r.offset}:${r.length}`;
      if (!baseRanges.has(range)) return !treeRanges.has(range);
      baseReads?.set(range, (baseReads.get(range) ?? 0) + 1);
      return false;
    }).length;
    if (n > 0 && dataPacks.has(pack)) out.set(pack, n);
  }
  return out;
}

/** Every name below `root` that is a restore's temporary file. */
export async function tempFilesBelow(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true })) if (String(entry).includes('.cairn-')) found.push(String(entry));
  return found;
}
