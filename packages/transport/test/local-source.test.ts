import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalSource } from '@cairn/transport';
import { rejection } from './backend-contract.js';
import { tempDir } from './temp-dir.js';

const source = createLocalSource();

async function collect(pieces: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const piece of pieces) out.push(piece);
  return out;
}

describe('createLocalSource: paths and metadata', () => {
  it('resolves and joins paths', () => {
    expect(source.name).toBe('local');
    expect(source.resolve('/a/b/../c/')).toBe('/a/c');
    expect(source.resolve('x')).toBe(join(process.cwd(), 'x'));
    expect(source.join('/a/b', 'c')).toBe('/a/b/c');
    expect(source.join('/', 'c')).toBe('/c');
    // Joined as posix.join joins, whichever folder came before (the last normal one is remembered).
    const cases: [string, string][] = [
      ['/a/b', 'c'], ['/a/b', '..'], ['/a/b', 'd'], ['/a/b/', 'c'], ['/a/b', 'c/d'], ['/a/./b', 'c'], ['/a/b', '.'], ['a/b', 'c'],
      ['/a//b', 'c'], ['/a//b', 'd'], ['/a/b/..', 'c'], ['/a/b/..', 'd'], ['/a/b', ''], ['/', 'c'], ['/', 'd'], ['/a/b', 'e'], ['/a/../b', 'c'], ['/a/b/.', 'c'], ['/a/b/.', 'd'], ['/a/b', 'f'],
    ];
    for (const [dir, name] of cases) expect(source.join(dir, name), `${dir} + ${name}`).toBe(join(dir, name));
  });

  it('maps lstat of a file: mode bits, size, ns times, bigint ino/dev', async () => {
    const dir = await tempDir();
    const file = join(dir, 'f');
    await writeFile(file, 'hello');
    await chmod(file, 0o4751);
    await utimes(file, 1, 1_700_000_000.123456);
    const raw = await lstat(file, { bigint: true });
    const stat = await source.lstat(file);
    expect(stat).toEqual({
      type: 'file', mode: 0o4751, uid: Number(raw.uid), gid: Number(raw.gid), size: 5,
      mtimeNs: raw.mtimeNs, ctimeNs: raw.ctimeNs, ino: raw.ino, dev: raw.dev, nlink: 1, rdev: 0,
    });
  });

  it('tells every kind of entry apart', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'd'));
    await symlink('d', join(dir, 'l'));
    execFileSync('mkfifo', [join(dir, 'p')]);
    const server = createServer();
    await new Promise<void>((done) => server.listen(join(dir, 's'), done));
    try {
      expect((await source.lstat(join(dir, 'd'))).type).toBe('dir');
      expect((await source.lstat(join(dir, 'l'))).type).toBe('symlink');
      expect((await source.lstat(join(dir, 'p'))).type).toBe('fifo');
      expect((await source.lstat(join(dir, 's'))).type).toBe('socket');
    } finally {
      await new Promise((done) => server.close(done));
    }
    const devNull = await source.lstat('/dev/null');
    expect(devNull.type).toBe('chardev');
    expect(devNull.rdev).toBe(Number((await lstat('/dev/null', { bigint: true })).rdev));
    expect(devNull.rdev).not.toBe(0);
    expect(await source.readlink(join(dir, 'l'))).toBe('d');
  });

  it('lists names sorted by UTF-8 bytes, not UTF-16 code units', async () => {
    const dir = await tempDir();
    const names = ['😀', 'b', 'Ａ', 'é', 'Z', 'a', '日本', 'e\u0301', '.hidden'];
    for (const name of names) await writeFile(join(dir, name), '');
    // '😀' (F0 9F 98 80) sorts after 'Ａ' (EF BC A1) by bytes, but before it by UTF-16 units.
    expect(await source.readdir(dir)).toEqual(['.hidden', 'Z', 'a', 'b', 'e\u0301', 'é', '日本', 'Ａ', '😀']);
  });

  it('reports a missing path as ERR_NOT_FOUND naming it', async () => {
    const missing = join(await tempDir(), 'missing');
    for (const call of [source.lstat(missing), source.readdir(missing), source.readlink(missing), source.openFile(missing)]) {
      expect((await rejection(call, 'ERR_NOT_FOUND')).message).toContain(missing);
    }
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable file as ERR_PERMISSION naming it (not testable as root)', async () => {
    const file = join(await tempDir(), 'secret');
    await writeFile(file, 'x', { mode: 0o000 });
    expect((await rejection(source.openFile(file), 'ERR_PERMISSION')).message).toContain(file);
  });
});

describe('createLocalSource: openFile', () => {
  it('reads a 1 MB file in fresh pieces of at most 4096 bytes that reproduce it exactly', async () => {
    const file = join(await tempDir(), 'big');
    const data = randomBytes(1024 * 1024 + 123);
    await writeFile(file, data);
    const opened = await source.openFile(file);
    try {
      expect(await opened.stat()).toEqual(await source.lstat(file));
      const pieces = await collect(opened.chunks(4096));
      expect(pieces).toHaveLength(257);
      expect(pieces.every((p) => p.byteLength <= 4096)).toBe(true);
      expect(pieces.at(-1)?.byteLength).toBe(123);
      expect(new Set(pieces.map((p) => p.buffer)).size).toBe(pieces.length);
      expect(Buffer.concat(pieces).equals(data)).toBe(true);
      const again = await collect(opened.chunks(100_000));
      expect(Buffer.concat(again).equals(data)).toBe(true);
    } finally {
      await opened.close();
    }
    await opened.close();
  });

  it('ends at once on an empty file and rejects a bad bufferSize', async () => {
    const file = join(await tempDir(), 'empty');
    await writeFile(file, '');
    const opened = await source.openFile(file);
    expect(await collect(opened.chunks(4096))).toEqual([]);
    await expect(collect(opened.chunks(0))).rejects.toThrow(RangeError);
    await opened.close();
  });

  it('stops with ERR_ABORTED when the signal fires', async () => {
    const file = join(await tempDir(), 'f');
    await writeFile(file, randomBytes(100_000));
    const opened = await source.openFile(file);
    const controller = new AbortController();
    const seen: Uint8Array[] = [];
    const reading = (async () => {
      for await (const piece of opened.chunks(1000, controller.signal)) {
        seen.push(piece);
        if (seen.length === 3) controller.abort();
      }
    })();
    expect((await rejection(reading, 'ERR_ABORTED')).message).toContain(file);
    expect(seen).toHaveLength(3);
    await opened.close();
  });

  it('refuses a fifo at once instead of blocking on it', { timeout: 5000 }, async () => {
    const fifo = join(await tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const error = await rejection(source.openFile(fifo), 'ERR_UNSUPPORTED');
    expect(error.message).toContain(fifo);
    expect(error.message).toContain('fifo');
  });

  it('refuses a symlink (even to a regular file) instead of following it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'real'), 'content');
    await symlink(join(dir, 'real'), join(dir, 'link'));
    expect((await source.lstat(join(dir, 'link'))).type).toBe('symlink');
    const error = await rejection(source.openFile(join(dir, 'link')), 'ERR_UNSUPPORTED');
    expect(error.message).toContain(join(dir, 'link'));
    expect(error.message).toContain('symlink');
  });

  it('refuses folders, sockets and devices, naming their type', async () => {
    const dir = await tempDir();
    const server = createServer();
    await new Promise<void>((done) => server.listen(join(dir, 'sock'), done));
    try {
      expect((await rejection(source.openFile(join(dir, 'sock')), 'ERR_UNSUPPORTED')).message).toContain('socket');
    } finally {
      await new Promise((done) => server.close(done));
    }
    expect((await rejection(source.openFile(dir), 'ERR_UNSUPPORTED')).message).toContain(`${dir} is a dir`);
    expect((await rejection(source.openFile('/dev/null'), 'ERR_UNSUPPORTED')).message).toContain('chardev');
  });
});
