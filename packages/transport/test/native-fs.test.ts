import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, fstatSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setAttributeSync } from '@napi-rs/xattr';
import { describe, expect, it } from 'vitest';
import { nameFromBytes } from '@cairn/core';
import type { DirEntry, SourceDir } from '@cairn/core';
import { createLocalSource } from '@cairn/transport';
import { entryStatOfRow, toEntryStat } from '../src/entry-stat.js';
import { listFolder } from '../src/list-names.js';
import { openLocalDir } from '../src/local-source-dir.js';
import { createXattrReader } from '../src/local-source.js';
import { nativeFs, SYMLINK_STEPS, systemError, writeFailure } from '../src/native-fs.js';
import { writeWholeFileSync } from '../src/whole-files.js';
import type { NativeFs } from '../src/native-fs.js';
import { readXattrs, xattrModule } from '../src/xattrs.js';
import { evictFromMemory } from './page-cache.js';
import { tempDir } from './temp-dir.js';

const linux = process.platform === 'linux';
const source = createLocalSource();
/** Bytes 66 ff 6f: "f", a byte that is not UTF-8, "o". */
const RAW = Buffer.from([0x66, 0xff, 0x6f]);

/** A folder of every kind of entry the walk meets: a file with attributes, its hard link, a folder, symlinks, a fifo, a socket, names in UTF-8 and not. */
async function everyKind(): Promise<{ dir: string; close: () => Promise<void> }> {
  const dir = join(await tempDir(), 'kinds');
  mkdirSync(join(dir, 'folder'), { recursive: true });
  writeFileSync(join(dir, 'file.txt'), 'some bytes\n');
  setAttributeSync(join(dir, 'file.txt'), 'user.b', 'second');
  setAttributeSync(join(dir, 'file.txt'), 'user.a', 'first');
  linkSync(join(dir, 'file.txt'), join(dir, 'hard-link'));
  symlinkSync('file.txt', join(dir, 'link'));
  symlinkSync('/nowhere/at/all', join(dir, 'dangling'));
  writeFileSync(join(dir, 'été'), 'accents\n');
  writeFileSync(Buffer.from(`${dir}/${RAW.toString('latin1')}`, 'latin1'), 'raw name\n');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(dir, 'socket'), resolve));
  return { dir, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function listed(dir: SourceDir): Promise<DirEntry[]> {
  if (dir.entries === undefined) throw new Error(`${dir.path} lists no entries`);
  return dir.entries.call(dir);
}

describe.runIf(linux)('the native folder calls', () => {
  const native = nativeFs();
  const needed = (): NativeFs => {
    if (native === null) throw new Error('the native folder module is not built: packages/transport/scripts/build-native.mjs');
    return native;
  };

  it('are built and loaded on Linux, and the local source walks with them', async () => {
    const calls = needed();
    const { dir, close } = await everyKind();
    const scanAt = calls.scanAt;
    let counted = 0;
    Object.assign(calls, { scanAt: (...args: Parameters<NativeFs['scanAt']>) => ((counted += 1), scanAt(...args)) });
    try {
      const opened = await source.openDir!.call(source, dir, await source.lstat(dir));
      await listed(opened);
      await opened.close();
    } finally {
      Object.assign(calls, { scanAt });
      await close();
    }
    expect(counted).toBe(1);
  });

  it('give every kind of entry the same lstat as node:fs through /proc, and the same attributes', async () => {
    const calls = needed();
    const { dir, close } = await everyKind();
    try {
      const expected = await source.lstat(dir);
      const viaNative = openLocalDir(dir, expected, 'descriptor', createXattrReader(), calls);
      const viaProc = openLocalDir(dir, expected, 'descriptor', createXattrReader(), null);
      const fast = await listed(viaNative);
      const slow = await listed(viaProc);
      const types = Object.fromEntries(fast.map((entry) => [entry.name, entry.stat?.type]));
      expect(types).toEqual({ dangling: 'symlink', fifo: 'fifo', 'file.txt': 'file', folder: 'dir', 'hard-link': 'file', link: 'symlink', socket: 'socket', 'été': 'file', [nameFromBytes(RAW)]: 'file' });
      expect(fast).toEqual(slow);
      for (const entry of fast) {
        expect(await viaNative.lstat(entry.name)).toEqual(await viaProc.lstat(entry.name));
        if (entry.name === nameFromBytes(RAW)) continue;
        expect(await viaNative.xattrs!(entry.name)).toEqual(await viaProc.xattrs!(entry.name));
      }
      // A file whose name is not UTF-8: the attribute module takes string paths only, the native calls bytes.
      await expect(viaProc.xattrs!(nameFromBytes(RAW))).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
      expect(await viaNative.xattrs!(nameFromBytes(RAW))).toEqual([]);
      const file = fast.find((entry) => entry.name === 'file.txt')?.stat;
      expect(file?.nlink).toBe(2);
      expect(await viaNative.xattrs!('file.txt')).toEqual([
        { name: 'user.a', value: new Uint8Array(Buffer.from('first')) },
        { name: 'user.b', value: new Uint8Array(Buffer.from('second')) },
      ]);
      // An entry that is not there: the same error, naming it by its path.
      const missing = await viaNative.lstat('missing').catch((error: unknown) => error);
      expect(missing).toMatchObject({ code: 'ERR_NOT_FOUND', message: `${join(dir, 'missing')}: no such file or directory` });
      expect(await viaProc.lstat('missing').catch((error: unknown) => error)).toMatchObject({ code: 'ERR_NOT_FOUND', message: `${join(dir, 'missing')}: no such file or directory` });
      await expect(viaNative.xattrs!('missing')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', message: expect.stringContaining(join(dir, 'missing')) });
      await viaNative.close();
      await viaProc.close();
    } finally {
      await close();
    }
  });

  it('list a folder in one call with the names and the order of listFolder: many names, long ones, names in UTF-8 past U+D800 and names that are not UTF-8', async () => {
    const calls = needed();
    const dir = join(await tempDir(), 'names');
    mkdirSync(dir);
    const names = ['Zebra', 'apple', 'été', '日本', '😀-smile', 'ﬀ-ligature', 'bad\uFFFDname', 'x'.repeat(250), 'ä', 'a', 'B'];
    for (let i = 0; i < 300; i += 1) names.push(`n${String(i).padStart(3, '0')}-${'y'.repeat(i % 40)}`);
    for (const name of names) writeFileSync(join(dir, name), name);
    const raws = [RAW, Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe2, 0x82])];
    for (const raw of raws) writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), raw]), 'raw');
    const expected = await source.lstat(dir);
    const viaNative = openLocalDir(dir, expected, 'descriptor', createXattrReader(), calls);
    const viaProc = openLocalDir(dir, expected, 'descriptor', createXattrReader(), null);
    try {
      const fast = await listed(viaNative);
      expect(fast.map((entry) => entry.name)).toEqual(listFolder(dir));
      expect(fast).toHaveLength(names.length + raws.length);
      expect(fast).toEqual(await listed(viaProc));
      // Listed again from the same descriptor: from its start again.
      expect(await listed(viaNative)).toEqual(fast);
    } finally {
      await viaNative.close();
      await viaProc.close();
    }
    expect(calls.scanAt(-1)).toBe(-9); // EBADF
  });

  it('read a list of attribute names longer than their first buffer (4 KiB), and the attributes of a name that is not UTF-8', async () => {
    const calls = needed();
    const lib = xattrModule();
    if (lib instanceof Error) throw lib;
    // tmpfs keeps many attributes per file; ext4 one block of them.
    const base = existsSync('/dev/shm') ? '/dev/shm' : await tempDir();
    const dir = mkdtempSync(join(base, 'cairn-native-'));
    try {
      writeFileSync(join(dir, 'many'), '');
      const names = Array.from({ length: 30 }, (_, i) => `user.${String(i).padStart(3, '0')}${'-'.repeat(190)}`);
      for (const name of names) setAttributeSync(join(dir, 'many'), name, name.slice(5, 8));
      const rawPath = Buffer.concat([Buffer.from(`${dir}/`), RAW]);
      writeFileSync(rawPath, '');
      // node:fs and the attribute module take no such path: python3's os.setxattr takes bytes.
      execFileSync('python3', ['-c', 'import os, sys; os.setxattr(bytes.fromhex(sys.argv[1]), b"user.raw", b"value")', rawPath.toString('hex')]);
      const opened = openLocalDir(dir, await source.lstat(dir), 'descriptor', createXattrReader(), calls);
      try {
        const entries = await listed(opened);
        const many = await opened.xattrs!('many');
        expect(many.map((xattr) => xattr.name)).toEqual(names);
        expect(many).toEqual(readXattrs(lib, join(dir, 'many')));
        const raw = entries.find((entry) => entry.name !== 'many');
        expect(raw?.stat?.type).toBe('file');
        expect(await opened.xattrs!(raw!.name)).toEqual([{ name: 'user.raw', value: new Uint8Array(Buffer.from('value')) }]);
      } finally {
        await opened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuse what is not a folder descriptor or not a name, give the errno of each name that failed, and an open file\'s fstat as node:fs does', async () => {
    const calls = needed();
    const dir = await tempDir();
    writeFileSync(join(dir, 'here'), 'x');
    const out = new BigInt64Array(3 * calls.STAT_FIELDS);
    expect(() => calls.lstatAt(-1, ['here'], out)).not.toThrow();
    expect([...calls.lstatAt(-1, ['here'], out)]).toEqual([9]); // EBADF
    expect(() => calls.lstatAt(0, ['a\0c'], out)).toThrow(TypeError);
    expect(() => calls.lstatAt(0, ['..'], out)).toThrow(TypeError);
    expect(() => calls.lstatAt(0, ['ok', 'a/b'], out)).toThrow(TypeError);
    expect(() => calls.lstatAt(0, [Buffer.from('a/b')], out)).toThrow(TypeError);
    expect(() => calls.listXattrsAt(0, '')).toThrow(TypeError);
    expect(() => calls.lstatAt(0, ['a', 'b', 'c', 'd'], out)).toThrow(TypeError); // out too short
    expect(() => calls.lstatAt(0, [7 as unknown as string], out)).toThrow(TypeError);
    expect(typeof calls.listXattrsAt(-1, 'here')).toBe('number');
    // An open file's fstat: what node:fs gives, and the errno of a descriptor that is not open.
    const fd = openSync(join(dir, 'here'), 'r');
    try {
      const row = new BigInt64Array(calls.STAT_FIELDS);
      expect(calls.fstatInto(fd, row)).toBe(0);
      expect(entryStatOfRow(row, 0, calls.STAT_FIELDS, 'here')).toEqual(toEntryStat(fstatSync(fd, { bigint: true }), 'here'));
      expect(calls.fstatInto(-1, row)).toBe(9); // EBADF
      expect(() => calls.fstatInto(fd, new BigInt64Array(2))).toThrow(TypeError);
      const file = await source.openFile(join(dir, 'here'));
      expect(await file.stat()).toEqual(await source.lstat(join(dir, 'here')));
      expect(await file.stat()).toEqual(await source.lstat(join(dir, 'here')));
      await file.close();
    } finally {
      closeSync(fd);
    }
    // openAt: the descriptor and its fstat, or a negative errno, nothing left open.
    const dirfd = openSync(dir, 'r');
    try {
      const row = new BigInt64Array(calls.STAT_FIELDS);
      const opened = calls.openAt(dirfd, 'here', false, row);
      expect(opened).toBeGreaterThan(2);
      expect(entryStatOfRow(row, 0, calls.STAT_FIELDS, 'here')).toEqual(toEntryStat(fstatSync(opened, { bigint: true }), 'here'));
      closeSync(opened);
      expect(calls.openAt(dirfd, 'here', true, row)).toBe(-20); // ENOTDIR
      expect(calls.openAt(dirfd, 'missing', false, row)).toBe(-2); // ENOENT
      expect(calls.openAt(-1, 'here', false, row)).toBe(-9); // EBADF
      expect(() => calls.openAt(dirfd, 'a/b', false, row)).toThrow(TypeError);
      expect(() => calls.openAt(dirfd, '..', true, row)).toThrow(TypeError);
      expect(() => calls.openAt(dirfd, 'here', 1 as unknown as boolean, row)).toThrow(TypeError);
      expect(() => calls.openAt(dirfd, 'here', false, new BigInt64Array(2))).toThrow(TypeError);
    } finally {
      closeSync(dirfd);
    }
    const error = systemError(2, 'lstat', '/x/y');
    expect(error).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'lstat', path: '/x/y', message: "ENOENT: no such file or directory, lstat '/x/y'" });
  });

  it('read a short file whole in one call: its bytes, its fstat before and after, whether it has attributes; anything else a negative errno, nothing left open', async () => {
    const calls = needed();
    const openBefore = readdirSync('/proc/self/fd').length;
    const { dir, close } = await everyKind();
    const fields = calls.STAT_FIELDS;
    const dirfd = openSync(dir, 'r');
    try {
      const buffer = new Uint8Array(64);
      const row = new BigInt64Array(2 * fields + 1);
      // file.txt has two attributes (user.a, user.b): their names' list is 14 bytes.
      expect(calls.readWholeAt(dirfd, 'file.txt', buffer, row, true)).toBe(11);
      expect(Buffer.from(buffer.subarray(0, 11)).toString()).toBe('some bytes\n');
      const lstat = await source.lstat(join(dir, 'file.txt'));
      expect(entryStatOfRow(row, 0, fields, 'file.txt')).toEqual(lstat);
      expect(entryStatOfRow(row, 1, fields, 'file.txt')).toEqual(lstat);
      expect(row[2 * fields]).toBe(14n);
      row[2 * fields] = 99n;
      expect(calls.readWholeAt(dirfd, 'été', buffer, row, false)).toBe(8);
      expect(row[2 * fields]).toBe(99n); // not asked
      expect(calls.readWholeAt(dirfd, 'été', buffer, row, true)).toBe(8);
      expect(row[2 * fields]).toBe(0n);
      expect(calls.readWholeAt(dirfd, RAW, buffer, row, true)).toBe(9);
      // Longer than the buffer: it is filled, and the caller sees it full.
      expect(calls.readWholeAt(dirfd, 'file.txt', buffer.subarray(0, 4), row, false)).toBe(4);
      expect(calls.readWholeAt(dirfd, 'fifo', buffer, row, false)).toBe(-1000); // not waited on
      expect(calls.readWholeAt(dirfd, 'socket', buffer, row, false)).toBeLessThan(0); // ENXIO
      expect(calls.readWholeAt(dirfd, 'folder', buffer, row, false)).toBe(-1000);
      expect(calls.readWholeAt(dirfd, 'link', buffer, row, false)).toBe(-40); // ELOOP: never followed
      expect(calls.readWholeAt(dirfd, 'missing', buffer, row, false)).toBe(-2);
      expect(calls.readWholeAt(-1, 'file.txt', buffer, row, false)).toBe(-9);
      expect(() => calls.readWholeAt(dirfd, 'a/b', buffer, row, false)).toThrow(TypeError);
      expect(() => calls.readWholeAt(dirfd, 'file.txt', Buffer.alloc(4).buffer as unknown as Uint8Array, row, false)).toThrow(TypeError);
      expect(() => calls.readWholeAt(dirfd, 'file.txt', buffer, new BigInt64Array(fields), false)).toThrow(TypeError);
      expect(() => calls.readWholeAt(dirfd, 'file.txt', buffer, row, 1 as unknown as boolean)).toThrow(TypeError);
    } finally {
      closeSync(dirfd);
      await close();
    }
    expect(readdirSync('/proc/self/fd').length).toBe(openBefore);
  });

  it('write a new file whole in one call as writeWholeFileSync writes it through node:fs: bytes, holes, owner, mode, mtime; never through a symlink; each failure named by its step, nothing left', async () => {
    const calls = needed();
    const openBefore = readdirSync('/proc/self/fd').length;
    const dir = await tempDir();
    const root = process.getuid?.() === 0;
    const uid = root ? 1234 : process.getuid?.() ?? 0;
    const gid = root ? 5678 : process.getgid?.() ?? 0;
    // Data, then two blocks of zeros (a hole: more than 64 KiB of them), then data again.
    const sparse = new Uint8Array(200_000);
    sparse.fill(7, 0, 5000);
    sparse.fill(9, 150_000, 150_100);
    const cases: { name: string; data: Uint8Array; mode: number; mtimeNs: bigint }[] = [
      { name: 'plain', data: new TextEncoder().encode('plain bytes\n'), mode: 0o644, mtimeNs: 1_700_000_000_123_456_789n },
      { name: 'empty', data: new Uint8Array(0), mode: 0o600, mtimeNs: 1_000_000_000_000_000_000n },
      { name: 'zeros', data: new Uint8Array(3 * 4096 + 10), mode: 0o640, mtimeNs: 0n },
      { name: 'sparse', data: sparse, mode: 0o755, mtimeNs: 1_600_000_000_999_999_999n },
      // Read-only, and setuid with setgid and sticky bits (a chown clears them: set after it).
      { name: 'read-only', data: new Uint8Array([1, 2, 3]), mode: 0o444, mtimeNs: 1_500_000_000_000_000_001n },
      { name: 'setuid', data: new Uint8Array([4]), mode: 0o7755, mtimeNs: -1_500_000_000_500n },
    ];
    for (const { name, data, mode, mtimeNs } of cases) {
      const meta = { mode, uid, gid, mtimeNs };
      expect(calls.writeWholeAt(join(dir, name), data, mode, uid, gid, mtimeNs, root)).toBe(0);
      // node:fs's path: the same file through a temporary name (not fresh).
      writeWholeFileSync(join(dir, `${name}.js`), { data, metadata: meta, fresh: false });
      const made = lstatSync(join(dir, name), { bigint: true });
      const expected = lstatSync(join(dir, `${name}.js`), { bigint: true });
      expect(Buffer.compare(readFileSync(join(dir, name)), Buffer.from(data))).toBe(0);
      expect([made.mode, made.uid, made.gid, made.size, made.mtimeNs, made.blocks]).toEqual([expected.mode, expected.uid, expected.gid, expected.size, expected.mtimeNs, expected.blocks]);
      expect(Number(made.mode & 0o7777n)).toBe(mode);
      expect(made.mtimeNs).toBe(mtimeNs >= 0n ? (mtimeNs / 1000n) * 1000n : -((-mtimeNs + 999n) / 1000n) * 1000n);
    }
    // The holes: fewer blocks than the bytes need (tmpfs and most filesystems keep them).
    expect(Number(lstatSync(join(dir, 'zeros'), { bigint: true }).blocks)).toBe(0);
    expect(Number(lstatSync(join(dir, 'sparse')).blocks) * 512).toBeLessThan(sparse.byteLength);
    // Without metadata: 0600, owned by this process, its mtime now.
    expect(calls.writeWholeAt(join(dir, 'bare'), new Uint8Array([1]), -1, 0, 0, 0n, false)).toBe(0);
    expect(lstatSync(join(dir, 'bare')).mode & 0o7777).toBe(0o600);
    expect(lstatSync(join(dir, 'bare')).uid).toBe(process.getuid?.());
    // A name that is not UTF-8, given as its bytes.
    const raw = Buffer.concat([Buffer.from(`${dir}/`), RAW]);
    expect(calls.writeWholeAt(raw, new Uint8Array([5]), 0o644, uid, gid, 0n, root)).toBe(0);
    expect(readdirSync(dir, { encoding: 'buffer' }).some((name) => name.equals(RAW))).toBe(true);
    // Something there already (a file, a symlink, even dangling): EEXIST at the open, nothing followed or changed.
    symlinkSync(join(dir, 'nowhere'), join(dir, 'link'));
    const failure = (result: number): string => { const { errno, syscall } = writeFailure(result); return `${syscall} ${errno}`; };
    expect(failure(calls.writeWholeAt(join(dir, 'plain'), new Uint8Array([1]), 0o644, uid, gid, 0n, root))).toBe('open 17');
    expect(failure(calls.writeWholeAt(join(dir, 'link'), new Uint8Array([1]), 0o644, uid, gid, 0n, root))).toBe('open 17');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
    expect(readFileSync(join(dir, 'plain'), 'utf8')).toBe('plain bytes\n');
    expect(failure(calls.writeWholeAt(join(dir, 'missing', 'x'), new Uint8Array([1]), 0o644, uid, gid, 0n, root))).toBe('open 2');
    const error = systemError(writeFailure(-(2 | (1 << 16))).errno, 'open', join(dir, 'missing', 'x'));
    expect(error.code).toBe('ENOENT');
    expect(() => calls.writeWholeAt('', new Uint8Array(1), 0o644, 0, 0, 0n, false)).toThrow(TypeError);
    expect(() => calls.writeWholeAt(join(dir, 'u16'), new Uint16Array(1) as unknown as Uint8Array, 0o644, 0, 0, 0n, false)).toThrow(TypeError);
    expect(() => calls.writeWholeAt(join(dir, 'n'), new Uint8Array(1), 0o644, 0, 0, 5 as unknown as bigint, false)).toThrow(TypeError);
    expect(existsSync(join(dir, 'u16'))).toBe(false);
    expect(readdirSync('/proc/self/fd').length).toBe(openBefore);
  });

  it('make a symlink with its owner and mtime in one call, never following it; each failure named by its step', async () => {
    const calls = needed();
    const dir = await tempDir();
    const root = process.getuid?.() === 0;
    const uid = root ? 4321 : process.getuid?.() ?? 0;
    const gid = root ? 8765 : process.getgid?.() ?? 0;
    writeFileSync(join(dir, 'dest'), 'x');
    const dest = lstatSync(join(dir, 'dest'), { bigint: true });
    expect(calls.symlinkWith('dest', join(dir, 'link'), uid, gid, 1_500_000_000_123_456_789n, root)).toBe(0);
    const link = lstatSync(join(dir, 'link'), { bigint: true });
    expect(link.isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'link'))).toBe('dest');
    expect([Number(link.uid), Number(link.gid), link.mtimeNs]).toEqual([uid, gid, 1_500_000_000_123_456_000n]);
    // Before 1970, floored to the microsecond as node's utimes sets it.
    expect(calls.symlinkWith('dest', join(dir, 'old'), uid, gid, -1_500_000_000_500n, root)).toBe(0);
    expect(lstatSync(join(dir, 'old'), { bigint: true }).mtimeNs).toBe(-1_500_000_001_000n);
    // Its destination is untouched.
    const after = lstatSync(join(dir, 'dest'), { bigint: true });
    expect([after.uid, after.gid, after.mtimeNs]).toEqual([dest.uid, dest.gid, dest.mtimeNs]);
    // A target that is not UTF-8, as its bytes.
    expect(calls.symlinkWith(RAW, join(dir, 'raw'), uid, gid, 0n, root)).toBe(0);
    expect(readlinkSync(join(dir, 'raw'), { encoding: 'buffer' })).toEqual(RAW);
    const failure = (result: number): string => { const { errno, syscall } = writeFailure(result, SYMLINK_STEPS); return `${syscall} ${errno}`; };
    expect(failure(calls.symlinkWith('other', join(dir, 'link'), uid, gid, 0n, root))).toBe('symlink 17');
    expect(readlinkSync(join(dir, 'link'))).toBe('dest');
    expect(failure(calls.symlinkWith('other', join(dir, 'missing', 'link'), uid, gid, 0n, root))).toBe('symlink 2');
    expect(() => calls.symlinkWith('', join(dir, 'x'), uid, gid, 0n, root)).toThrow(TypeError);
    expect(() => calls.symlinkWith('a', join(dir, 'x'), uid, gid, 0 as unknown as bigint, root)).toThrow(TypeError);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('give a folder readWhole: the file whole when it is the entry listed and shorter than the buffer; null for anything else, which openFile then explains', async () => {
    needed();
    const { dir, close } = await everyKind();
    try {
      const opened = await source.openDir!.call(source, dir, await source.lstat(dir));
      const entries = new Map((await listed(opened)).map((entry) => [entry.name, entry.stat!]));
      expect(opened.readWhole).toBeDefined();
      const buffer = new Uint8Array(32);
      const read = opened.readWhole!('file.txt', entries.get('file.txt')!, buffer);
      expect(read).toEqual({ stat: entries.get('file.txt'), length: 11, after: { size: 11, mtimeNs: entries.get('file.txt')!.mtimeNs }, noXattrs: false });
      expect(opened.readWhole!('été', entries.get('été')!, buffer)).toMatchObject({ length: 8, noXattrs: true });
      // The hard link is the same inode: the same file.
      expect(opened.readWhole!('hard-link', entries.get('file.txt')!, buffer)).toMatchObject({ length: 11 });
      // Another entry than the one listed (another inode under the name): null, and openFile says it was replaced.
      expect(opened.readWhole!('été', entries.get('file.txt')!, buffer)).toBeNull();
      await expect(opened.openFile('été', entries.get('file.txt')!)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      // A file as long as the buffer, or longer, may be longer still: null.
      expect(opened.readWhole!('file.txt', entries.get('file.txt')!, buffer.subarray(0, 11))).toBeNull();
      expect(opened.readWhole!('file.txt', entries.get('file.txt')!, buffer.subarray(0, 12))).toMatchObject({ length: 11 });
      for (const name of ['fifo', 'socket', 'folder', 'link', 'missing']) {
        expect(opened.readWhole!(name, entries.get('file.txt')!, buffer)).toBeNull();
      }
      await expect(opened.openFile('fifo', entries.get('fifo')!)).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
      expect(() => opened.readWhole!('../x', entries.get('file.txt')!, buffer)).toThrow(TypeError);
      await opened.close();
      // Without the native calls, or by path, a folder offers none.
      const viaProc = openLocalDir(dir, await source.lstat(dir), 'descriptor', createXattrReader(), null);
      expect(viaProc.readWhole).toBeUndefined();
      expect(openLocalDir(dir, await source.lstat(dir), 'path').readWhole).toBeUndefined();
      // Without attributes read, none are asked for.
      const bare = openLocalDir(dir, await source.lstat(dir), 'descriptor', undefined, nativeFs());
      expect(bare.readWhole!('été', entries.get('été')!, buffer)).toMatchObject({ length: 8, noXattrs: false });
      await viaProc.close();
      await bare.close();
    } finally {
      await close();
    }
  });

  it('read files ahead from a folder of their own, in the pool: done(n) with the files not in memory, nothing left open', async () => {
    const calls = needed();
    const dir = await tempDir();
    writeFileSync(join(dir, 'cold.bin'), Buffer.alloc(256 * 1024, 7));
    writeFileSync(join(dir, 'warm.txt'), 'warm\n');
    mkdirSync(join(dir, 'folder'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    // cold.bin out of memory, where the filesystem can say so (not tmpfs): written out, dropped,
    // seen missing by a read that would block, and dropped again (that read starts one of its own).
    const evicted = evictFromMemory(join(dir, 'cold.bin'));
    const dirfd = openSync(dir, 'r');
    const found = new Promise<number>((resolve) => calls.prefetchAt(dirfd, ['cold.bin', 'warm.txt', 'folder', 'fifo', 'missing', Buffer.from('warm.txt')], resolve));
    closeSync(dirfd); // the job reads from a descriptor of its own
    expect(await found).toBe(evicted ? 1 : 0);
    const open = readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } });
    expect(open).not.toContain(dir);
    let none = -1;
    calls.prefetchAt(0, [], (n) => { none = n; });
    expect(none).toBe(0); // nothing to read ahead: done at once
    expect(() => calls.prefetchAt(0, ['a/b'], () => undefined)).toThrow(TypeError);
    expect(() => calls.prefetchAt(0, ['..'], () => undefined)).toThrow(TypeError);
    expect(() => calls.prefetchAt(0, 'names' as unknown as string[], () => undefined)).toThrow(TypeError);
    expect(() => calls.prefetchAt(0, ['a'], 5 as unknown as () => void)).toThrow(TypeError);
  });

  it('name the folder when it cannot be listed (its descriptor closed under it)', async () => {
    const calls = needed();
    const dir = await tempDir();
    const opened = openLocalDir(dir, await source.lstat(dir), 'descriptor', createXattrReader(), calls);
    await opened.close();
    await expect(listed(opened)).rejects.toMatchObject({ message: `${dir}: bad file descriptor` });
  });
});

describe.runIf(linux)('building the native folder calls', () => {
  const script = fileURLToPath(new URL('../scripts/build-native.mjs', import.meta.url));
  const headers = fileURLToPath(new URL('../node_modules', import.meta.url));
  /** The build script in a tree of its own (scripts/, src/native/cairn-fs.c holding `source`), run with `path` as PATH. */
  const build = async (source: string, path: string) => {
    const root = await tempDir();
    mkdirSync(join(root, 'scripts'));
    mkdirSync(join(root, 'src', 'native'), { recursive: true });
    copyFileSync(script, join(root, 'scripts', 'build-native.mjs'));
    writeFileSync(join(root, 'src', 'native', 'cairn-fs.c'), source);
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], { encoding: 'utf8', env: { PATH: path, NODE_PATH: headers } });
    return { ...run, built: existsSync(join(root, 'dist', 'native', 'cairn-fs.node')) };
  };

  it('warn, naming why, and go on (exit 0, no module) when no compiler is found or the source does not compile', async () => {
    const empty = await tempDir();
    const none = await build('int x;\n', empty);
    expect({ status: none.status, built: none.built }).toEqual({ status: 0, built: false });
    expect(none.stderr).toMatch(/^@cairn\/transport: the native folder module was not built \(cc: ENOENT; gcc: ENOENT; clang: ENOENT; g\+\+: ENOENT\); the local source reaches entries through \/proc instead\n$/);
    const broken = await build('this is not C\n', process.env['PATH'] ?? '');
    expect({ status: broken.status, built: broken.built }).toEqual({ status: 0, built: false });
    expect(broken.stderr).toMatch(/not built \(\w+\+* exited 1: .*cairn-fs\.c/);
  });
});

