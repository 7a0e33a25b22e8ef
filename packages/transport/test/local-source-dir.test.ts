import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setAttributeSync } from '@napi-rs/xattr';
import { describe, expect, it } from 'vitest';
import type { EntryStat, SourceDir } from '@cairn/core';
import { createLocalSource } from '@cairn/transport';
import { openLocalDir } from '../src/local-source-dir.js';
import type { LocalDirMode } from '../src/local-source-dir.js';
import { createXattrReader } from '../src/local-source.js';
import { nativeFs } from '../src/native-fs.js';
import type { NativeFs } from '../src/native-fs.js';
import { rejection } from './backend-contract.js';
import { bytesInMemory, evictFromMemory } from './page-cache.js';
import { tempDir } from './temp-dir.js';

const source = createLocalSource();

/** src/ with d/ (a file and a folder) next to outside/ (what a swapped-in symlink points at). */
async function layout(): Promise<{ src: string; outside: string }> {
  const work = await tempDir();
  const src = join(work, 'src');
  const outside = join(work, 'outside');
  await mkdir(join(src, 'd', 'sub'), { recursive: true });
  await writeFile(join(src, 'd', 'inside.txt'), 'inside\n');
  await writeFile(join(src, 'd', 'sub', 'deep.txt'), 'deep\n');
  await mkdir(join(outside, 'sub'), { recursive: true });
  await writeFile(join(outside, 'OUTSIDE'), 'outside\n');
  await writeFile(join(outside, 'inside.txt'), 'outside\n');
  await writeFile(join(outside, 'sub', 'deep.txt'), 'outside\n');
  return { src, outside };
}

/** Puts a symlink to `outside` where `path` was (what was there moves to `path`.moved). */
async function swapForSymlink(path: string, outside: string): Promise<void> {
  await rename(path, `${path}.moved`);
  await symlink(outside, path);
}

async function collect(pieces: AsyncIterable<Uint8Array>): Promise<string> {
  let text = '';
  for await (const piece of pieces) text += Buffer.from(piece).toString();
  return text;
}

const modes: LocalDirMode[] = process.platform === 'linux' ? ['descriptor', 'path'] : ['path'];

describe.each(modes)('the local SourceDir (%s mode)', (mode) => {
  it('lists, stats, reads and opens its entries relative to itself', async () => {
    const { src } = await layout();
    const d = openLocalDir(join(src, 'd'), await source.lstat(join(src, 'd')), mode);
    try {
      expect(d.path).toBe(join(src, 'd'));
      expect(await d.names()).toEqual(['inside.txt', 'sub']);
      const stat = await d.lstat('inside.txt');
      expect(stat).toEqual(await source.lstat(join(src, 'd', 'inside.txt')));
      const file = await d.openFile('inside.txt', stat);
      expect(await collect(file.chunks(64))).toBe('inside\n');
      await file.close();
      const sub = await d.openDir('sub', await d.lstat('sub'));
      expect(sub.path).toBe(join(src, 'd', 'sub'));
      expect(await sub.names()).toEqual(['deep.txt']);
      await sub.close();
      await expect(d.lstat('../d')).rejects.toThrow(TypeError);
    } finally {
      await d.close();
    }
  });

  it('refuses a folder swapped for a symlink after the walk\'s lstat, naming it', async () => {
    const { src, outside } = await layout();
    const path = join(src, 'd');
    const expected = await source.lstat(path);
    await swapForSymlink(path, outside);
    const error = await rejection(Promise.resolve().then(() => openLocalDir(path, expected, mode)), 'ERR_NOT_FOUND');
    expect(error.message).toContain(path);
    expect(error.message).toContain('replaced while it was read');
  });

  it('refuses a child folder swapped for a symlink, and a file swapped for another file', async () => {
    const { src, outside } = await layout();
    const d = openLocalDir(join(src, 'd'), await source.lstat(join(src, 'd')), mode);
    try {
      const subStat = await d.lstat('sub');
      const fileStat = await d.lstat('inside.txt');
      await swapForSymlink(join(src, 'd', 'sub'), join(outside, 'sub'));
      await writeFile(join(src, 'd', 'other.txt'), 'other\n');
      await rename(join(src, 'd', 'other.txt'), join(src, 'd', 'inside.txt'));
      const dirError = await rejection(d.openDir('sub', subStat), 'ERR_NOT_FOUND');
      expect(dirError.message).toContain(join(src, 'd', 'sub'));
      const fileError = await rejection(d.openFile('inside.txt', fileStat), 'ERR_NOT_FOUND');
      expect(fileError.message).toContain(`${join(src, 'd', 'inside.txt')}: the file was replaced`);
      // A symlink in a file's place is never opened either.
      await swapForSymlink(join(src, 'd', 'inside.txt'), join(outside, 'inside.txt'));
      await rejection(d.openFile('inside.txt', fileStat), 'ERR_UNSUPPORTED');
    } finally {
      await d.close();
    }
  });
});

/** The descriptor mode's two ways to its entries: the native calls (built on Linux), and /proc. */
const reaches: [string, NativeFs | null][] = [['native calls', nativeFs()], ['/proc', null]];

describe.runIf(process.platform === 'linux').each(reaches)('the local SourceDir through its descriptor, by %s', (_how, native) => {
  const openAt = (path: string, expected: Parameters<typeof openLocalDir>[1]): SourceDir => openLocalDir(path, expected, 'descriptor', createXattrReader(), native);

  it('keeps reading the folder it opened when a folder above it is swapped for a symlink', async () => {
    const { src, outside } = await layout();
    const sub = join(src, 'd', 'sub');
    const d: SourceDir = openAt(join(src, 'd'), await source.lstat(join(src, 'd')));
    const opened = await d.openDir('sub', await d.lstat('sub'));
    try {
      await swapForSymlink(join(src, 'd'), outside);
      // By path, d/sub/deep.txt is now outside's; through the open folders it is still the real one.
      expect(await source.readdir(join(src, 'd'))).toContain('OUTSIDE');
      expect(await d.names()).toEqual(['inside.txt', 'sub']);
      const stat = await opened.lstat('deep.txt');
      expect(stat.ino).not.toBe((await source.lstat(join(sub, 'deep.txt'))).ino);
      const file = await opened.openFile('deep.txt', stat);
      expect(await collect(file.chunks(64))).toBe('deep\n');
      await file.close();
    } finally {
      await opened.close();
      await d.close();
    }
  });

  it('lists its entries with their lstats in one call, from the folder it opened, and leaves the current folder as it was', async () => {
    const { src, outside } = await layout();
    const cwd = process.cwd();
    const d: SourceDir = openAt(join(src, 'd'), await source.lstat(join(src, 'd')));
    const entries = d.entries;
    if (entries === undefined) throw new Error('a folder opened by descriptor lists entries');
    try {
      const before = await entries.call(d);
      expect(before.map((entry) => entry.name)).toEqual(await d.names());
      for (const entry of before) expect(entry.stat).toEqual(await d.lstat(entry.name));
      expect(process.cwd()).toBe(cwd);
      await swapForSymlink(join(src, 'd'), outside);
      // By path d/ is outside/ now; the listing and the lstats still come from the folder that was opened.
      const after = await entries.call(d);
      expect(after.map((entry) => [entry.name, entry.stat?.ino])).toEqual(before.map((entry) => [entry.name, entry.stat?.ino]));
      expect(process.cwd()).toBe(cwd);
    } finally {
      await d.close();
    }
  });

  it('lists from the folder it opened when a folder with the same names took its path, or the path of a folder above it', async () => {
    const { src } = await layout();
    const path = join(src, 'd');
    const d: SourceDir = openAt(path, await source.lstat(path));
    const sub = await d.openDir('sub', await d.lstat('sub'));
    try {
      const before = await d.entries!.call(d);
      const deepBefore = await sub.entries!.call(sub);
      const inside = before.find((e) => e.name === 'inside.txt')?.stat;
      const subStat = before.find((e) => e.name === 'sub')?.stat;
      if (inside === undefined || subStat === undefined) throw new Error('listed without stats');
      // A look-alike: the same names by the same paths, other inodes. The listing above found the
      // path leading to the folder, so opens try the path first: they must still give the real entries.
      await rename(src, `${src}.moved`);
      await mkdir(join(src, 'd', 'sub'), { recursive: true });
      await writeFile(join(src, 'd', 'inside.txt'), 'look-alike\n');
      await writeFile(join(src, 'd', 'sub', 'deep.txt'), 'look-alike\n');
      expect((await source.lstat(join(src, 'd', 'inside.txt'))).ino).not.toBe(before.find((e) => e.name === 'inside.txt')?.stat?.ino);
      const after = await d.entries!.call(d);
      expect(after.map((entry) => [entry.name, entry.stat?.ino, entry.stat?.size])).toEqual(before.map((entry) => [entry.name, entry.stat?.ino, entry.stat?.size]));
      const deepAfter = await sub.entries!.call(sub);
      expect(deepAfter.map((entry) => [entry.name, entry.stat?.ino])).toEqual(deepBefore.map((entry) => [entry.name, entry.stat?.ino]));
      const file = await d.openFile('inside.txt', inside);
      expect(await collect(file.chunks(64))).toBe('inside\n');
      await file.close();
      const again = await d.openDir('sub', subStat);
      expect((await again.entries!.call(again)).map((entry) => entry.stat?.ino)).toEqual(deepBefore.map((entry) => entry.stat?.ino));
      await again.close();
    } finally {
      await sub.close();
      await d.close();
    }
  });

  it('opens a file only when it is a regular file and a folder only when it is a folder, naming the entry otherwise', async () => {
    const { src, outside } = await layout();
    const path = join(src, 'd');
    execFileSync('mkfifo', [join(path, 'fifo')]);
    await symlink(join(outside, 'inside.txt'), join(path, 'link'));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(path, 'sock'), resolve));
    const d = openAt(path, await source.lstat(path));
    try {
      const statOf = async (name: string): Promise<EntryStat> => d.lstat(name);
      // The fifo is not waited on (O_NONBLOCK); a symlink is not followed (O_NOFOLLOW); a socket cannot be opened.
      for (const [name, type] of [['fifo', 'fifo'], ['link', 'symlink'], ['sock', 'socket'], ['sub', 'dir']] as const) {
        const error = await rejection(d.openFile(name, await statOf(name)), 'ERR_UNSUPPORTED');
        expect(error.message).toBe(`${join(path, name)} is a ${type}, not a regular file`);
      }
      for (const name of ['inside.txt', 'link', 'fifo']) {
        const error = await rejection(d.openDir(name, await statOf(name)), 'ERR_NOT_FOUND');
        expect(error.message).toContain(`${join(path, name)}: the folder was replaced`);
      }
      const missing = await rejection(d.openFile('missing', await statOf('inside.txt')), 'ERR_NOT_FOUND');
      expect(missing.message).toContain(join(path, 'missing'));
      await rejection(d.openDir('missing', await statOf('sub')), 'ERR_NOT_FOUND');
      await expect(d.openFile('sub/deep.txt', await statOf('inside.txt'))).rejects.toThrow(TypeError);
      await expect(d.openDir('..', await statOf('sub'))).rejects.toThrow(TypeError);
    } finally {
      await d.close();
      server.close();
    }
  });

  it('reads files ahead only with the native calls, and never fails for a name it cannot read ahead', async () => {
    const { src } = await layout();
    const cold = join(src, 'd', 'cold.bin');
    await writeFile(cold, Buffer.alloc(256 * 1024, 9));
    const evicted = evictFromMemory(cold); // not on tmpfs
    const d = openAt(join(src, 'd'), await source.lstat(join(src, 'd')));
    try {
      expect(typeof d.prefetch).toBe(native === null ? 'undefined' : 'function');
      d.prefetch?.(['cold.bin', 'inside.txt', 'sub', 'missing']);
      if (evicted) {
        // The walk's first folder is always looked at: the file comes into memory without a read of ours.
        let inMemory = 0;
        for (let tries = 0; tries < (native === null ? 10 : 100) && inMemory === 0; tries += 1) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          inMemory = bytesInMemory(cold);
        }
        if (native === null) expect(inMemory).toBe(0);
        else expect(inMemory).toBeGreaterThan(0);
      }
      const file = await d.openFile('inside.txt', await d.lstat('inside.txt'));
      expect(await collect(file.chunks(64))).toBe('inside\n');
      await file.close();
    } finally {
      await d.close();
    }
    const byPath = openLocalDir(join(src, 'd'), await source.lstat(join(src, 'd')), 'path');
    expect(byPath.prefetch).toBeUndefined();
  });

  it('leaves no descriptor it opens to a process the backup starts (close-on-exec)', async () => {
    const { src } = await layout();
    const path = join(src, 'd');
    const d = openAt(path, await source.lstat(path));
    const file = await d.openFile('inside.txt', await d.lstat('inside.txt'));
    const sub = await d.openDir('sub', await d.lstat('sub'));
    try {
      const mine = readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } });
      expect(mine).toEqual(expect.arrayContaining([join(path, 'inside.txt'), join(path, 'sub')]));
      const childs = execFileSync('sh', ['-c', 'for f in /proc/$$/fd/*; do readlink "$f" || true; done'], { encoding: 'utf8' }).split('\n');
      expect(childs).not.toContain(join(path, 'inside.txt'));
      expect(childs).not.toContain(join(path, 'sub'));
      expect(childs).not.toContain(path);
    } finally {
      await file.close();
      await sub.close();
      await d.close();
    }
  });

  it('reads attributes through the open folder, also once its path leads nowhere, and names the entry by its path in errors', async () => {
    const { src } = await layout();
    const path = join(src, 'd');
    setAttributeSync(join(path, 'inside.txt'), 'user.kept', 'yes');
    const opened = openAt(path, await source.lstat(path));
    try {
      await opened.entries!.call(opened);
      expect(await opened.xattrs!('inside.txt')).toEqual([{ name: 'user.kept', value: new Uint8Array(Buffer.from('yes')) }]);
      await rename(src, `${src}.moved`);
      expect(await opened.xattrs!('inside.txt')).toEqual([{ name: 'user.kept', value: new Uint8Array(Buffer.from('yes')) }]);
      await expect(opened.xattrs!('missing')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', message: expect.stringContaining(join(path, 'missing')) });
    } finally {
      await opened.close();
    }
  });

  it('is what createLocalSource opens', async () => {
    const { src, outside } = await layout();
    const path = join(src, 'd');
    const expected = await source.lstat(path);
    const open = source.openDir;
    if (open === undefined) throw new Error('the local source has no openDir');
    await swapForSymlink(path, outside);
    await rejection(open.call(source, path, expected), 'ERR_NOT_FOUND');
  });
});

describe('the local SourceDir by path', () => {
  it('refuses a listing when the folder was swapped while it was read', async () => {
    const { src, outside } = await layout();
    const path = join(src, 'd');
    const d = openLocalDir(path, await source.lstat(path), 'path');
    await swapForSymlink(path, outside);
    const error = await rejection(d.names(), 'ERR_NOT_FOUND');
    expect(error.message).toContain(path);
  });

  it('refuses an entry whose lstat went through a folder swapped in after it was opened', async () => {
    const { src, outside } = await layout();
    const path = join(src, 'd');
    const d = openLocalDir(path, await source.lstat(path), 'path');
    await swapForSymlink(path, outside);
    // outside/inside.txt exists: the lstat itself succeeds, the folder's check after it does not.
    const error = await rejection(d.lstat('inside.txt'), 'ERR_NOT_FOUND');
    expect(error.message).toContain(`${path}: the folder was replaced`);
  });
});
