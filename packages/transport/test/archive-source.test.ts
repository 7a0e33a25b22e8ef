import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, linkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openArchiveSource } from '@cairn/transport';
import { tempDir } from './temp-dir.js';

/** A folder with a file, a hardlink to it, a symlink and a sub-folder, made into a tar by GNU tar (pax, nanosecond mtimes). */
async function gnuTar(): Promise<{ dir: string; tar: string }> {
  const dir = await tempDir();
  const root = join(dir, 'root');
  mkdirSync(join(root, 'b', 'c'), { recursive: true });
  writeFileSync(join(root, 'a.txt'), 'alpha');
  linkSync(join(root, 'a.txt'), join(root, 'b', 'same.txt'));
  symlinkSync('../a.txt', join(root, 'b', 'link'));
  writeFileSync(join(root, 'b', 'c', 'big'), Buffer.alloc(100_000, 7));
  execFileSync('touch', ['-d', '2001-02-03 04:05:06.5', join(root, 'a.txt')]);
  const tar = join(dir, 'root.tar');
  execFileSync('tar', ['--format=posix', '-C', root, '-cf', tar, '.']);
  return { dir, tar };
}

async function readAll(source: Awaited<ReturnType<typeof openArchiveSource>>, path: string, viaReadInto: boolean): Promise<Buffer> {
  const file = await source.openFile(path);
  const pieces: Uint8Array[] = [];
  if (viaReadInto && file.readInto !== undefined) {
    for (let at = 0; ;) {
      const buffer = new Uint8Array(4096);
      const n = await file.readInto(buffer, at);
      if (n === 0) break;
      pieces.push(buffer.subarray(0, n));
      at += n;
    }
  } else for await (const piece of file.chunks(4096)) pieces.push(piece);
  await file.close();
  return Buffer.concat(pieces);
}

describe('openArchiveSource', () => {
  it('serves a tar file as a Source: folders sorted by bytes, hardlinks as one inode, metadata of the archive, bytes by position', async () => {
    const { tar } = await gnuTar();
    const source = await openArchiveSource(tar);
    try {
      expect(source.kind).toBe('tar');
      expect(source.paths).toEqual(['/']);
      expect(source.metadataShowsChanges).toBe(false);
      expect(await source.readdir('/')).toEqual(['a.txt', 'b']);
      expect(await source.readdir('/b')).toEqual(['c', 'link', 'same.txt']);
      const a = await source.lstat('/a.txt');
      const same = await source.lstat('/b/same.txt');
      expect(a).toMatchObject({ type: 'file', size: 5, nlink: 2, mtimeNs: BigInt(Date.UTC(2001, 1, 3, 4, 5, 6)) * 1_000_000n + 500_000_000n });
      expect(same.ino).toBe(a.ino);
      expect(await source.lstat('/b')).toMatchObject({ type: 'dir', nlink: 3 });
      expect(await source.readlink('/b/link')).toBe('../a.txt');
      expect((await readAll(source, '/b/same.txt', true)).toString()).toBe('alpha');
      expect(await readAll(source, '/b/c/big', false)).toEqual(Buffer.alloc(100_000, 7));
      await expect(source.lstat('/nope')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    } finally {
      await source.close();
    }
  });

  it('reads a stream and a tar.zst once, keeping file bytes aside; a prefix puts the archive below folders of its own', async () => {
    const { dir, tar } = await gnuTar();
    execFileSync('zstd', ['-q', tar, '-o', join(dir, 'root.tar.zst')]);
    // The zstd command as the decompressor (the CLI wires @cairn/pack's; this package does not depend on it).
    const createZstdDecompressStream = (): Transform => {
      const child = spawn('zstd', ['-dcq']);
      return Duplex.from({ writable: child.stdin, readable: child.stdout }) as Transform;
    };
    async function* stream(file: string): AsyncGenerator<Uint8Array> {
      const bytes = readFileSync(file);
      for (let at = 0; at < bytes.length; at += 1000) yield bytes.subarray(at, at + 1000);
    }
    for (const [input, kind] of [[stream(tar), 'tar'], [stream(join(dir, 'root.tar.zst')), 'tar.zst']] as const) {
      const source = await openArchiveSource(input, { prefix: '/srv/www', decompress: createZstdDecompressStream, tempDir: dir });
      try {
        expect(source.kind).toBe(kind);
        expect(source.paths).toEqual(['/srv/www']);
        expect(await source.readdir('/')).toEqual(['srv']);
        expect(await source.readdir('/srv')).toEqual(['www']);
        expect(await source.readdir('/srv/www')).toEqual(['a.txt', 'b']);
        expect(await readAll(source, '/srv/www/b/c/big', true)).toEqual(Buffer.alloc(100_000, 7));
        expect((await readAll(source, '/srv/www/a.txt', true)).toString()).toBe('alpha');
      } finally {
        await source.close();
      }
    }
  });

  it('refuses a hostile entry by name before serving anything (ERR_FORMAT)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'evil.tar');
    execFileSync('python3', ['-c', `
import io, tarfile
with tarfile.open('${file}', 'w') as t:
    i = tarfile.TarInfo('x/../../up'); i.size = 1; t.addfile(i, io.BytesIO(b'!'))
`]);
    await expect(openArchiveSource(file)).rejects.toMatchObject({ code: 'ERR_FORMAT', message: expect.stringContaining('"x/../../up"') });
  });
});
