import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, Source, SourceDir } from '@cairn/core';
import { backup, initRepository, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

const smallChunks = { min: 1024, avg: 4096, max: 16384 };

/** A local source that counts the files it opens (without openDir: the walk opens every file by its path). */
function countingSource(extra: Partial<Source> = {}): Source & { opened: string[] } {
  const { openDir: _byPaths, ...local } = createLocalSource();
  const opened: string[] = [];
  return {
    ...local,
    ...extra,
    opened,
    openFile: (path) => {
      opened.push(path);
      return local.openFile(path);
    },
  };
}

async function project(): Promise<{ work: string; dir: string }> {
  const work = await tempDir();
  const dir = join(work, 'proj');
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'src', 'a.ts'), 'export const a = 1;\n'.repeat(200));
  await writeFile(join(dir, 'src', 'b.ts'), 'export const b = 2;\n'.repeat(200));
  await writeFile(join(dir, 'data.bin'), seededBytes(200_000, 3));
  return { work, dir };
}

describe('the unchanged-file shortcut', () => {
  it('reads nothing when nothing changed, and everything with force', async () => {
    const { work, dir } = await project();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker: smallChunks });
    await backup(repo, { source: createLocalSource(), paths: [dir] });
    const source = countingSource();
    const again = await backup(repo, { source, paths: [dir] });
    expect(source.opened).toEqual([]);
    expect(again.snapshot.summary).toMatchObject({ filesUnchanged: 3, filesNew: 0, filesChanged: 0, bytesRead: 0, dataBlobsAdded: 0, treeBlobsAdded: 0 });
    const forced = countingSource();
    const third = await backup(repo, { source: forced, paths: [dir], force: true });
    expect(forced.opened).toHaveLength(3);
    expect(third.snapshot.summary.bytesRead).toBe(200_000 + 2 * 20 * 200);
    expect(third.snapshot.tree).toEqual(again.snapshot.tree);
  });

  it('finds a file rewritten with its old mtime when its size or its ctime differs', async () => {
    const { work, dir } = await project();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker: smallChunks });
    await backup(repo, { source: createLocalSource(), paths: [dir] });
    const a = join(dir, 'src', 'a.ts');
    const b = join(dir, 'src', 'b.ts');
    const { mtime: aTime } = await stat(a);
    const { mtime: bTime } = await stat(b);
    await writeFile(a, 'export const a = 3;\n'.repeat(200)); // same size: only the ctime shows it
    await utimes(a, aTime, aTime);
    await writeFile(b, 'export const b = 22;\n'.repeat(200)); // another size
    await utimes(b, bTime, bTime);
    const source = countingSource();
    const second = await backup(repo, { source, paths: [dir] });
    expect(source.opened.sort()).toEqual([a, b]);
    expect(second.snapshot.summary).toMatchObject({ filesChanged: 2, filesUnchanged: 1 });
    await restore(repo, second.id, { target: createLocalTarget(join(work, 'out')) });
    expect(await readFile(join(work, 'out', 'proj', 'src', 'a.ts'), 'utf8')).toContain('a = 3');
    expect(await readFile(join(work, 'out', 'proj', 'src', 'b.ts'), 'utf8')).toContain('b = 22');
  });

  it('through open folders (the local source as the CLI uses it): nothing read when nothing changed; a new ctime, a new inode or a new size is a change', async () => {
    const { work, dir } = await project();
    const a = join(dir, 'src', 'a.ts');
    const b = join(dir, 'src', 'b.ts');
    const data = join(dir, 'data.bin');
    // Whole seconds, so that utimes puts back exactly the mtime the parent recorded (to the nanosecond).
    const noon = new Date(Date.UTC(2024, 0, 1, 12));
    for (const path of [a, b, data]) await utimes(path, noon, noon);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker: smallChunks });
    await backup(repo, { source: createLocalSource(), paths: [dir] });
    const unchanged = await backup(repo, { source: createLocalSource(), paths: [dir] });
    expect(unchanged.snapshot.summary).toMatchObject({ filesUnchanged: 3, filesChanged: 0, bytesRead: 0, treeBlobsAdded: 0 });
    // a: rewritten in place, same size and mtime (only the ctime shows it); b: replaced by a copy (a
    // new inode, same size and mtime); data.bin: one byte longer, same mtime.
    await writeFile(a, 'export const a = 7;\n'.repeat(200));
    await utimes(a, noon, noon);
    const inodeBefore = (await stat(b)).ino;
    await writeFile(`${b}.new`, 'export const b = 8;\n'.repeat(200));
    await rename(`${b}.new`, b);
    await utimes(b, noon, noon);
    expect((await stat(b)).ino).not.toBe(inodeBefore);
    await writeFile(data, Buffer.concat([seededBytes(200_000, 3), Buffer.from([1])]));
    await utimes(data, noon, noon);
    for (const path of [a, b, data]) expect((await stat(path, { bigint: true })).mtimeNs).toBe(BigInt(noon.getTime()) * 1_000_000n);
    const changed = await backup(repo, { source: createLocalSource(), paths: [dir] });
    expect(changed.snapshot.summary).toMatchObject({ filesChanged: 3, filesUnchanged: 0 });
    await restore(repo, changed.id, { target: createLocalTarget(join(work, 'out')) });
    expect(await readFile(join(work, 'out', 'proj', 'src', 'a.ts'), 'utf8')).toContain('a = 7');
    expect(await readFile(join(work, 'out', 'proj', 'src', 'b.ts'), 'utf8')).toContain('b = 8');
    expect((await readFile(join(work, 'out', 'proj', 'data.bin'))).length).toBe(200_001);
  });

  it('reads no symlink whose inode, ctime and mtime are the parent\'s, and the new target of one made again', async () => {
    const { work, dir } = await project();
    await symlink('src/a.ts', join(dir, 'same'));
    await symlink('old-target', join(dir, 'moved'));
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker: smallChunks });
    const first = await backup(repo, { source: createLocalSource(), paths: [dir] });
    const read: string[] = [];
    const local = createLocalSource();
    const counting = countingSource({ readlink: (path) => (read.push(path), local.readlink(path)) });
    const unchanged = await backup(repo, { source: counting, paths: [dir] });
    expect(read).toEqual([]);
    expect(unchanged.snapshot.tree).toEqual(first.snapshot.tree);
    await rm(join(dir, 'moved'));
    await symlink('new-target', join(dir, 'moved'));
    const second = await backup(repo, { source: counting, paths: [dir] });
    expect(read).toEqual([join(dir, 'moved')]);
    expect(second.snapshot.summary.symlinks).toBe(2);
    await restore(repo, second.id, { target: createLocalTarget(join(work, 'out')) });
    expect(await readlink(join(work, 'out', 'proj', 'moved'))).toBe('new-target');
    expect(await readlink(join(work, 'out', 'proj', 'same'))).toBe('src/a.ts');
  });

  it('compares digests instead when the source says its metadata cannot show changes', async () => {
    const { work, dir } = await project();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker: { min: 256 * 1024, avg: 512 * 1024, max: 1024 * 1024 } });
    const digest = async (path: string): Promise<Uint8Array> => createHash('sha256').update(await readFile(path)).digest();
    await backup(repo, { source: createLocalSource(), paths: [dir] });
    // A source whose mtimes cannot be trusted: same size is not enough, the digest decides.
    await writeFile(join(dir, 'src', 'a.ts'), 'export const a = 9;\n'.repeat(200));
    const source = countingSource({ metadataShowsChanges: false, digest });
    const second = await backup(repo, { source, paths: [dir] });
    expect(source.opened).toEqual([join(dir, 'src', 'a.ts')]);
    expect(second.snapshot.summary).toMatchObject({ filesChanged: 1, filesUnchanged: 2 });
  });

  it('re-reads a file whose chunks a prune removed from the index', async () => {
    const { work, dir } = await project();
    const backend = createLocalBackend(join(work, 'repo'));
    await initRepository(backend, { chunker: smallChunks });
    const first = await backup(await openRepository(backend), { source: createLocalSource(), paths: [dir] });
    // Simulate the loss: drop every index file, so no chunk is known any more.
    for await (const file of backend.list('index')) await backend.remove('index', file.name);
    const source = countingSource();
    const second = await backup(await openRepository(backend), { source, paths: [dir], parent: first.id });
    expect(source.opened).toHaveLength(3);
    expect(second.snapshot.summary.bytesRead).toBe(200_000 + 2 * 20 * 200);
  });
});

/** The local source with open folders, each recording the names the walk asks it to read ahead (by their paths). */
function readAheadSource(): Source & { readAhead: string[][] } {
  const local = createLocalSource();
  const readAhead: string[][] = [];
  const recording = (dir: SourceDir): SourceDir => ({
    ...dir,
    names: () => dir.names(),
    lstat: (name) => dir.lstat(name),
    readlink: (name) => dir.readlink(name),
    openFile: (name, expected) => dir.openFile(name, expected),
    openDir: async (name, expected) => recording(await dir.openDir(name, expected)),
    close: () => dir.close(),
    ...(dir.entries === undefined ? {} : { entries: () => dir.entries!() }),
    ...(dir.xattrs === undefined ? {} : { xattrs: (name: string) => dir.xattrs!(name) }),
    prefetch: (names) => {
      readAhead.push(names.map((name) => join(dir.path, name)));
      dir.prefetch?.(names);
    },
  });
  return { ...local, readAhead, openDir: async (path, expected) => recording(await local.openDir!(path, expected)) };
}

describe('reading ahead', () => {
  it('asks the source to read ahead, folder by folder, exactly the files the walk will read: new or changed, not empty', async () => {
    const { work, dir } = await project();
    await writeFile(join(dir, 'empty'), '');
    await symlink('data.bin', join(dir, 'link'));
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker: smallChunks });
    const first = readAheadSource();
    await backup(repo, { source: first, paths: [dir] });
    expect(first.readAhead).toEqual([[join(dir, 'data.bin')], [join(dir, 'src', 'a.ts'), join(dir, 'src', 'b.ts')]]);
    const unchanged = readAheadSource();
    await backup(repo, { source: unchanged, paths: [dir] });
    expect(unchanged.readAhead).toEqual([]);
    await writeFile(join(dir, 'src', 'b.ts'), 'export const b = 22;\n'.repeat(200));
    await writeFile(join(dir, 'src', 'c.ts'), 'export const c = 3;\n');
    const changed = readAheadSource();
    const third = await backup(repo, { source: changed, paths: [dir] });
    expect(changed.readAhead).toEqual([[join(dir, 'src', 'b.ts'), join(dir, 'src', 'c.ts')]]);
    expect(third.snapshot.summary).toMatchObject({ filesNew: 1, filesChanged: 1, filesUnchanged: 3 });
  });
});

describe('compression modes', () => {
  it('off stores every blob as is; auto compresses text and stores random bytes as they are', async () => {
    const { work, dir } = await project();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const off = await backup(repo, { source: createLocalSource(), paths: [dir], compression: 'off' });
    expect(off.snapshot.summary.bytesAdded).toBeGreaterThanOrEqual(200_000 + 8000);
    const repo2 = await initRepository(createLocalBackend(join(work, 'repo2')));
    const auto = await backup(repo2, { source: createLocalSource(), paths: [dir], compression: 'auto' });
    // The 200 kB of random bytes stay 200 kB; the two 4 kB text files shrink to a few dozen bytes.
    expect(auto.snapshot.summary.bytesAdded).toBeLessThan(200_000 + 1000);
    const codecs = new Map<string, string>();
    const reopened = await openRepository(createLocalBackend(join(work, 'repo2')));
    // The small text files are compressed together, in one group frame (docs/FORMAT.md, "Grouped small blobs").
    for (const [file, want] of [['data.bin', 'none'], ['src/a.ts', 'group']] as const) {
      const id = createHash('sha256').update(await readFile(join(dir, file))).digest();
      codecs.set(file, reopened.index.lookup(id)?.codec ?? 'missing');
      expect(codecs.get(file)).toBe(want);
    }
  });
});

describe('the compression pool', () => {
  it.each(['a whole pack write', 'a pack written as it is built'])('a repository that fails mid-backup (%s) ends the backup with its error and the pool stops', async (how) => {
    const { work, dir } = await project();
    await writeFile(join(dir, 'big.bin'), seededBytes(12 * 1024 * 1024, 5)); // several batches through the workers
    const real = createLocalBackend(join(work, 'repo'));
    await initRepository(real, { chunker: smallChunks, packSize: 1024 * 1024 });
    let packs = 0;
    const onFire = (): Error => Object.assign(new Error('disk on fire'), { code: 'EIO' });
    const { createWriter, ...whole } = real;
    const failing: Backend = how === 'a whole pack write' ? {
      ...whole,
      async write(type, name, data) {
        if (type === 'data' && ++packs === 3) throw onFire();
        return real.write(type, name, data);
      },
    } : {
      ...real,
      async createWriter(type) {
        const writer = await createWriter!.call(real, type);
        if (++packs !== 3) return writer;
        return { ...writer, append: async () => { await writer.abort(); throw onFire(); } };
      },
    };
    const repo = await openRepository(failing);
    await expect(backup(repo, { source: createLocalSource(), paths: [dir] })).rejects.toThrow('disk on fire');
    // The packs written before the failure are indexed (a later backup reuses them); no snapshot was made.
    const reopened = await openRepository(real);
    expect(reopened.index.packCount).toBeGreaterThan(0);
    expect(await readdir(join(work, 'repo', 'snapshots'))).toEqual([]);
    const retry = await backup(reopened, { source: createLocalSource(), paths: [dir] });
    expect(retry.snapshot.summary.bytesAdded).toBeLessThan(12 * 1024 * 1024 - 1024 * 1024);
  });
});
