import { link as hardlink, lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError } from '@cairn/core';
import { createLocalTarget } from '@cairn/transport';
import type { LocalTargetOptions } from '@cairn/transport';
import { rejection } from './backend-contract.js';
import { tempDir } from './temp-dir.js';

async function* pieces(...texts: string[]): AsyncGenerator<Uint8Array> {
  for (const text of texts) yield new TextEncoder().encode(text);
}

async function newTarget(options: LocalTargetOptions = {}) {
  const root = join(await tempDir(), 'restore', 'here');
  return { root, target: createLocalTarget(root, options) };
}

const isTemp = (name: string): boolean => name.includes('.cairn-');

describe('createLocalTarget: files, folders, links', () => {
  it('creates its root when first used and writes files from pieces', async () => {
    const { root, target } = await newTarget();
    expect(target.location).toBe(root);
    expect(await target.lstat(['f'])).toBeNull();
    await target.writeFile(['f'], pieces('hello ', '', 'world'));
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('hello world');
    const stat = await target.lstat(['f']);
    expect(stat?.type).toBe('file');
    expect(stat?.size).toBe(11);
    expect((await lstat(join(root, 'f'))).mode & 0o777).toBe(0o600);
    await target.writeFile(['f'], pieces('replaced'));
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('replaced');
    expect(await readdir(root)).toEqual(['f']);
  });

  it('rejects bad names with TypeError', async () => {
    const { target } = await newTarget();
    for (const path of [[], [''], ['.'], ['..'], ['a', '..'], ['a/b'], ['a\0b']]) {
      await expect(target.lstat(path), JSON.stringify(path)).rejects.toThrow(TypeError);
      if (path.length > 0) await expect(target.mkdir(path), JSON.stringify(path)).rejects.toThrow(TypeError); // [] is the root
      await expect(target.writeFile(path, pieces('x')), JSON.stringify(path)).rejects.toThrow(TypeError);
      await expect(target.remove(path), JSON.stringify(path)).rejects.toThrow(TypeError);
    }
  });

  it('keeps the old file and no temporary file when the data fails midway', async () => {
    const { root, target } = await newTarget();
    await target.writeFile(['f'], pieces('old'));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10_000);
      throw new CairnError('ERR_INTEGRITY', 'blob 00ff is damaged');
    }
    expect((await rejection(target.writeFile(['f'], failing()), 'ERR_INTEGRITY')).message).toBe('blob 00ff is damaged');
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('old');
    expect(await readdir(root)).toEqual(['f']);
  });

  it('mkdir: a real folder is fine, a file or a symlink to a folder is ERR_EXISTS naming the path', async () => {
    const { root, target } = await newTarget();
    await target.mkdir(['d']);
    await target.mkdir(['d']);
    await target.mkdir(['d', 'e']);
    expect((await stat(join(root, 'd', 'e'))).isDirectory()).toBe(true);
    await target.writeFile(['file'], pieces('x'));
    expect((await rejection(target.mkdir(['file']), 'ERR_EXISTS')).message).toContain(join(root, 'file'));
    await symlink(join(root, 'd'), join(root, 'dirlink'));
    expect((await rejection(target.mkdir(['dirlink']), 'ERR_EXISTS')).message).toContain(join(root, 'dirlink'));
    await rejection(target.mkdir(['nowhere', 'x']), 'ERR_NOT_FOUND');
  });

  it('symlink() creates a link and replaces what was there', async () => {
    const { root, target } = await newTarget();
    await target.writeFile(['f'], pieces('file'));
    await target.symlink(['f'], '../somewhere/else');
    expect(await readlink(join(root, 'f'))).toBe('../somewhere/else');
    await target.symlink(['f'], 'other');
    expect(await readlink(join(root, 'f'))).toBe('other');
    expect((await target.lstat(['f']))?.type).toBe('symlink');
    expect(await readdir(root)).toEqual(['f']);
  });

  it('link() makes a hardlink, also when the path already is one (no temporary name left)', async () => {
    const { root, target } = await newTarget();
    await target.writeFile(['a'], pieces('shared'));
    await target.writeFile(['b'], pieces('replaced by the link'));
    await target.link(['a'], ['b']);
    await target.link(['a'], ['b']);
    const [a, b] = [await target.lstat(['a']), await target.lstat(['b'])];
    expect(b?.ino).toBe(a?.ino);
    expect(b?.nlink).toBe(2);
    expect((await readdir(root)).sort()).toEqual(['a', 'b']);
  });

  it('remove() removes files, empty folders, and a symlink without touching what it points to; never a folder that is not empty', async () => {
    const { root, target } = await newTarget();
    const outside = await tempDir();
    await writeFile(join(outside, 'precious'), 'keep me');
    await target.mkdir(['d']);
    await target.writeFile(['d', 'f'], pieces('x'));
    await symlink(outside, join(root, 'link'));
    await expect(target.remove(['d'])).rejects.toMatchObject({ code: 'ERR_EXISTS', message: expect.stringContaining('is a folder that is not empty') as string });
    expect(await readFile(join(root, 'd', 'f'), 'utf8')).toBe('x');
    await target.remove(['d', 'f']);
    await target.remove(['d']);
    await target.remove(['link']);
    await target.remove(['missing']);
    expect(await readdir(root)).toEqual([]);
    expect(await readFile(join(outside, 'precious'), 'utf8')).toBe('keep me');
  });
});

describe('createLocalTarget: never through a symlink', () => {
  it('refuses a folder that is a symlink and writes nothing where it points', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await writeFile(join(other, 'victim'), 'untouched');
    await target.mkdir(['ok']);
    await symlink(other, join(root, 'evil'));
    expect((await rejection(target.mkdir(['evil']), 'ERR_EXISTS')).message).toContain(join(root, 'evil'));
    await expect(target.writeFile(['evil', 'x'], pieces('payload'))).rejects.toThrow(CairnError);
    await expect(target.symlink(['evil', 'y'], '/etc/passwd')).rejects.toThrow(CairnError);
    await expect(target.link(['ok'], ['evil', 'z'])).rejects.toThrow(CairnError);
    await expect(target.writeFile(['evil', 'victim'], pieces('overwritten'))).rejects.toThrow(CairnError);
    await expect(target.setMetadata(['evil', 'victim'], 'file', { mode: 0o777, mtimeNs: 0n, uid: 0, gid: 0 })).rejects.toThrow(CairnError);
    await target.remove(['evil', 'victim']);
    expect(await target.lstat(['evil', 'victim'])).toBeNull();
    expect(await readdir(other)).toEqual(['victim']);
    expect(await readFile(join(other, 'victim'), 'utf8')).toBe('untouched');
    expect((await stat(join(other, 'victim'))).mode & 0o777).not.toBe(0o777);
  });

  it('checks a folder again after remove(), so a symlink put in its place is refused', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await target.mkdir(['d']);
    await target.remove(['d']);
    await symlink(other, join(root, 'd'));
    await expect(target.writeFile(['d', 'x'], pieces('payload'))).rejects.toThrow(CairnError);
    expect(await readdir(other)).toEqual([]);
  });

  it('writeFile over a symlink replaces the link and leaves its old destination untouched', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await writeFile(join(other, 'dest'), 'original');
    await mkdir(root, { recursive: true });
    await symlink(join(other, 'dest'), join(root, 'f'));
    await target.writeFile(['f'], pieces('restored'));
    expect((await lstat(join(root, 'f'))).isFile()).toBe(true);
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('restored');
    expect(await readFile(join(other, 'dest'), 'utf8')).toBe('original');
  });

  it('link() does not follow a symlink given as the existing entry', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await writeFile(join(other, 'dest'), 'x');
    await mkdir(root, { recursive: true });
    await symlink(join(other, 'dest'), join(root, 's'));
    await target.link(['s'], ['t']);
    expect((await lstat(join(root, 't'))).isSymbolicLink()).toBe(true);
    expect((await stat(join(other, 'dest'))).nlink).toBe(1);
  });

  it('leaves no temporary names behind after any of its writes', async () => {
    const { root, target } = await newTarget();
    await target.mkdir(['d']);
    await target.writeFile(['d', 'f'], pieces('x'));
    await target.symlink(['d', 's'], 'f');
    await target.link(['d', 'f'], ['d', 'h']);
    await hardlink(join(root, 'd', 'f'), join(root, 'd', 'h2'));
    await target.link(['d', 'f'], ['d', 'h2']);
    expect((await readdir(join(root, 'd'))).filter(isTemp)).toEqual([]);
  });
});

describe('createLocalTarget: createFile (positional writes)', () => {
  it('writes out of order at positions, and appears under its name only when committed', async () => {
    const { root, target } = await newTarget();
    await target.mkdir(['d']);
    const file = await target.createFile!(['d', 'f'], 12);
    expect(await readdir(join(root, 'd'))).toHaveLength(1);
    expect((await readdir(join(root, 'd'))).every(isTemp)).toBe(true);
    expect(await target.lstat(['d', 'f'])).toBeNull();
    await file.write(new TextEncoder().encode('world!'), 6);
    await file.write(new TextEncoder().encode('hello '), 0);
    await file.commit();
    expect(await readFile(join(root, 'd', 'f'), 'utf8')).toBe('hello world!');
    expect((await lstat(join(root, 'd', 'f'))).mode & 0o777).toBe(0o600);
    expect(await readdir(join(root, 'd'))).toEqual(['f']);
    await file.abort(); // after commit: nothing to do
    expect(await readFile(join(root, 'd', 'f'), 'utf8')).toBe('hello world!');
    await expect(file.write(new Uint8Array(1), 0)).rejects.toThrow(CairnError);
  });

  it('has the size it was created with (holes are zeros), and writes large pieces whole', async () => {
    const { root, target } = await newTarget();
    const sparse = await target.createFile!(['sparse'], 10);
    await sparse.write(new Uint8Array([7]), 4);
    await sparse.commit();
    expect([...(await readFile(join(root, 'sparse')))]).toEqual([0, 0, 0, 0, 7, 0, 0, 0, 0, 0]);
    const big = new Uint8Array(5 * 1024 * 1024).map((_, i) => i % 251);
    const file = await target.createFile!(['big'], big.byteLength + 3);
    await file.write(big.subarray(1000), 1003);
    await file.write(new Uint8Array([1, 2, 3]), 0);
    await file.write(big.subarray(0, 1000), 3);
    await file.commit();
    const got = await readFile(join(root, 'big'));
    expect(got.subarray(0, 3)).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.compare(got.subarray(3), Buffer.from(big))).toBe(0);
    const empty = await target.createFile!(['empty'], 0);
    await empty.commit();
    expect((await stat(join(root, 'empty'))).size).toBe(0);
  });

  it('commit(metadata) sets mode and mtime (to the microsecond) before the file appears', async () => {
    const { root, target } = await newTarget();
    const file = await target.createFile!(['run.sh'], 5);
    await file.write(new TextEncoder().encode('echo\n'), 0);
    const mtimeNs = 981_173_106_789_123_000n;
    await expect(file.commit({ mode: 0o10000, mtimeNs, uid: 0, gid: 0 })).rejects.toThrow(RangeError);
    expect(await readdir(root)).toEqual([]); // a failed commit leaves no temporary file
    const again = await target.createFile!(['run.sh'], 5);
    await again.write(new TextEncoder().encode('echo\n'), 0);
    await again.commit({ mode: 0o751, mtimeNs, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    const st = await lstat(join(root, 'run.sh'), { bigint: true });
    expect(Number(st.mode & 0o7777n)).toBe(0o751);
    expect(st.mtimeNs / 1000n).toBe(mtimeNs / 1000n);
    expect(await readFile(join(root, 'run.sh'), 'utf8')).toBe('echo\n');
    expect(await readdir(root)).toEqual(['run.sh']);
  });

  it('writes under a partial name a killed restore may have left: what is there is unlinked, never written through', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await writeFile(join(other, 'dest'), 'original');
    await target.mkdir(['d']);
    await symlink(join(other, 'dest'), join(root, 'd', '.big.cairn-partial'));
    await writeFile(join(root, 'd', '.small.cairn-partial'), 'left by a kill');
    await writeFile(join(root, 'd', 'small'), 'old');
    const file = await target.createFile!(['d', 'big'], 3);
    await file.write(new TextEncoder().encode('big'), 0);
    await file.commit();
    expect(await target.writeFiles!([{ path: ['d', 'small'], data: new TextEncoder().encode('new'), metadata: undefined, fresh: false }])).toEqual([undefined]);
    expect(await readFile(join(root, 'd', 'big'), 'utf8')).toBe('big');
    expect(await readFile(join(root, 'd', 'small'), 'utf8')).toBe('new');
    expect(await readFile(join(other, 'dest'), 'utf8')).toBe('original');
    expect((await readdir(join(root, 'd'))).sort()).toEqual(['big', 'small']);
  });

  it('abort removes the temporary file and leaves what was at the path untouched', async () => {
    const { root, target } = await newTarget();
    await target.writeFile(['f'], pieces('old content'));
    const file = await target.createFile!(['f'], 3);
    await file.write(new TextEncoder().encode('new'), 0);
    await file.abort();
    await file.abort();
    expect(await readFile(join(root, 'f'), 'utf8')).toBe('old content');
    expect(await readdir(root)).toEqual(['f']);
    await expect(file.commit()).rejects.toThrow(/already aborted/);
  });

  it('commit replaces a symlink at the path instead of writing through it', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await writeFile(join(other, 'dest'), 'original');
    await mkdir(root, { recursive: true });
    await symlink(join(other, 'dest'), join(root, 'f'));
    const file = await target.createFile!(['f'], 8);
    await file.write(new TextEncoder().encode('restored'), 0);
    await file.commit();
    expect((await lstat(join(root, 'f'))).isFile()).toBe(true);
    expect(await readFile(join(other, 'dest'), 'utf8')).toBe('original');
  });

  it('refuses a parent folder that is a symlink, bad names and bad sizes or positions', async () => {
    const { root, target } = await newTarget();
    const other = await tempDir();
    await target.mkdir(['ok']);
    await symlink(other, join(root, 'evil'));
    await expect(target.createFile!(['evil', 'x'], 3)).rejects.toMatchObject({ code: 'ERR_EXISTS', message: expect.stringContaining(join(root, 'evil')) });
    expect(await readdir(other)).toEqual([]);
    await rejection(target.createFile!(['missing', 'x'], 3), 'ERR_NOT_FOUND');
    for (const path of [[], [''], ['..'], ['a/b']]) await expect(target.createFile!(path, 1), JSON.stringify(path)).rejects.toThrow(TypeError);
    for (const size of [-1, 1.5, Number.NaN]) await expect(target.createFile!(['ok', 'f'], size)).rejects.toThrow(RangeError);
    const file = await target.createFile!(['ok', 'f'], 1);
    await expect(file.write(new Uint8Array(1), -1)).rejects.toThrow(RangeError);
    await expect(file.write('x' as unknown as Uint8Array, 0)).rejects.toThrow(TypeError);
    await file.abort();
    expect(await readdir(join(root, 'ok'))).toEqual([]);
  });

  it('is not copied by a spread wrapper, so a wrapper overriding writeFile sees every file', async () => {
    const { target } = await newTarget();
    expect(typeof target.createFile).toBe('function');
    expect(typeof target.writeFiles).toBe('function');
    expect(Object.keys(target)).not.toContain('createFile');
    expect(Object.keys(target)).not.toContain('writeFiles');
    const wrapper = { ...target };
    expect(wrapper.createFile).toBeUndefined();
    expect(wrapper.writeFiles).toBeUndefined();
  });

  for (const [mode, wholeFileThreadFrom] of [['on the calling thread', Number.POSITIVE_INFINITY], ['on its own thread', 0]] as const) {
    it(`writeFiles ${mode}: whole files with their metadata, new ones in place, others replacing what is there (never through a symlink)`, async () => {
      const { root, target } = await newTarget({ wholeFileThreadFrom });
      const other = await tempDir();
      await writeFile(join(other, 'dest'), 'original');
      await target.mkdir(['d']);
      await writeFile(join(root, 'd', 'old'), 'old content that is longer');
      await mkdir(join(root, 'd', 'folder', 'inside'), { recursive: true });
      // Bytes in a shared buffer (a decode thread's arena) and in part of a larger buffer.
      const shared = new Uint8Array(new SharedArrayBuffer(64));
      shared.set(new TextEncoder().encode('from the arena'), 10);
      const larger = new TextEncoder().encode('..a part of it..');
      await symlink(join(other, 'dest'), join(root, 'd', 'appeared'));
      const mtimeNs = 981_173_106_789_123_000n;
      const meta = { mode: 0o751, mtimeNs, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
      const zeros = new Uint8Array(3 * 4096);
      zeros[5000] = 9;
      const results = await target.writeFiles!([
        { path: ['d', 'new'], data: new TextEncoder().encode('new'), metadata: meta, fresh: true },
        { path: ['d', 'old'], data: new TextEncoder().encode('replaced'), metadata: undefined, fresh: false },
        // Said to be new, but a symlink appeared there since: it is replaced, its destination untouched.
        { path: ['d', 'appeared'], data: new TextEncoder().encode('file'), metadata: meta, fresh: true },
        { path: ['missing', 'x'], data: new Uint8Array(1), metadata: meta, fresh: true },
        { path: ['d', 'empty'], data: new Uint8Array(0), metadata: meta, fresh: true },
        { path: ['d', 'zeros'], data: zeros, metadata: undefined, fresh: true },
        // A folder is never replaced by a file: the rename fails, named, and nothing is left of the file.
        { path: ['d', 'folder'], data: new Uint8Array(1), metadata: undefined, fresh: false },
        { path: ['d', 'shared'], data: shared.subarray(10, 24), metadata: undefined, fresh: true },
        { path: ['d', 'part'], data: larger.subarray(2, 14), metadata: undefined, fresh: true },
      ]);
      expect(results.map((r) => (r === undefined ? 'ok' : (r as CairnError).code))).toEqual(['ok', 'ok', 'ok', 'ERR_NOT_FOUND', 'ok', 'ok', 'ERR_IO', 'ok', 'ok']);
      expect((results[3] as CairnError).message).toContain(join(root, 'missing'));
      expect(results[6]).toBeInstanceOf(CairnError);
      expect((results[6] as CairnError).message).toBe(`${join(root, 'd', 'folder')}: illegal operation on a directory`);
      expect((await readdir(join(root, 'd', 'folder')))).toEqual(['inside']);
      expect(await readFile(join(root, 'd', 'shared'), 'utf8')).toBe('from the arena');
      expect(await readFile(join(root, 'd', 'part'), 'utf8')).toBe('a part of it');
      expect(await readFile(join(root, 'd', 'new'), 'utf8')).toBe('new');
      const st = await lstat(join(root, 'd', 'new'), { bigint: true });
      expect(Number(st.mode & 0o7777n)).toBe(0o751);
      expect(st.mtimeNs / 1000n).toBe(mtimeNs / 1000n);
      expect(await readFile(join(root, 'd', 'old'), 'utf8')).toBe('replaced');
      expect((await lstat(join(root, 'd', 'appeared'))).isFile()).toBe(true);
      expect(await readFile(join(other, 'dest'), 'utf8')).toBe('original');
      expect((await stat(join(root, 'd', 'empty'))).size).toBe(0);
      expect(Buffer.compare(await readFile(join(root, 'd', 'zeros')), Buffer.from(zeros))).toBe(0);
      expect((await readdir(join(root, 'd'))).filter(isTemp)).toEqual([]);
      await expect(target.writeFiles!([{ path: ['..'], data: new Uint8Array(0), metadata: undefined, fresh: true }])).rejects.toThrow(TypeError);
    });
  }
});

describe('a target root that is a file', () => {
  it('is refused with a message naming it', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a-file');
    await writeFile(file, 'keep me');
    const target = createLocalTarget(file);
    await expect(target.mkdir(['x'])).rejects.toMatchObject({ code: 'ERR_EXISTS', message: `cannot restore into ${file}: it exists and is not a folder` });
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });
});
