import { lstat, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createLocalTarget } from '@cairn/transport';
import { nativeFs } from '../src/native-fs.js';
import { tempDir } from './temp-dir.js';

// The local target without the native module (another platform, or it did not build): the same
// files and symlinks through node:fs calls.
vi.mock('../src/native-fs.js', async (importOriginal) => ({ ...(await importOriginal<typeof import('../src/native-fs.js')>()), nativeFs: () => null }));

const asRoot = process.getuid?.() === 0;
const uid = asRoot ? 4321 : process.getuid?.() ?? 0;
const gid = asRoot ? 8765 : process.getgid?.() ?? 0;

describe('a local target without the native module', () => {
  it('writes new whole files with their bytes, holes, owner, mode and mtime', async () => {
    expect(nativeFs()).toBeNull();
    const root = join(await tempDir(), 'restore');
    const target = createLocalTarget(root, { wholeFileThreadFrom: Number.POSITIVE_INFINITY });
    await target.mkdir(['d']);
    const zeros = new Uint8Array(3 * 4096);
    zeros[5000] = 9;
    const meta = { mode: 0o4751, mtimeNs: 1_600_000_000_999_999_999n, uid, gid };
    const results = await target.writeFiles!([
      { path: ['d', 'plain'], data: new TextEncoder().encode('plain'), metadata: meta, fresh: true },
      { path: ['d', 'zeros'], data: zeros, metadata: { ...meta, mode: 0o644 }, fresh: true },
      { path: ['d', 'bare'], data: new Uint8Array([1]), metadata: undefined, fresh: true },
    ]);
    expect(results).toEqual([undefined, undefined, undefined]);
    const plain = await lstat(join(root, 'd', 'plain'), { bigint: true });
    expect([Number(plain.mode & 0o7777n), Number(plain.uid), Number(plain.gid), plain.mtimeNs]).toEqual([0o4751, uid, gid, 1_600_000_000_999_999_000n]);
    expect(await readFile(join(root, 'd', 'plain'), 'utf8')).toBe('plain');
    expect(Buffer.compare(await readFile(join(root, 'd', 'zeros')), Buffer.from(zeros))).toBe(0);
    expect((await stat(join(root, 'd', 'bare'))).mode & 0o7777).toBe(0o600);
  });

  it('makes a symlink with its metadata, new or replacing what is there, never following it', async () => {
    const root = join(await tempDir(), 'restore');
    const target = createLocalTarget(root);
    const other = await tempDir();
    await writeFile(join(other, 'dest'), 'x');
    const before = await stat(join(other, 'dest'), { bigint: true });
    await target.symlink(['l'], join(other, 'dest'), { mode: 0o777, mtimeNs: 1_500_000_000_000_001_000n, uid, gid });
    await writeFile(join(root, 'there'), 'a file');
    await target.symlink(['there'], 'l', { mode: 0o777, mtimeNs: 1_400_000_000_000_002_000n, uid, gid });
    for (const [name, mtimeNs] of [['l', 1_500_000_000_000_001_000n], ['there', 1_400_000_000_000_002_000n]] as const) {
      const link = await lstat(join(root, name), { bigint: true });
      expect([link.isSymbolicLink(), link.mtimeNs, Number(link.uid), Number(link.gid)]).toEqual([true, mtimeNs, uid, gid]);
    }
    expect(await readlink(join(root, 'there'))).toBe('l');
    const after = await stat(join(other, 'dest'), { bigint: true });
    expect([after.mtimeNs, after.uid]).toEqual([before.mtimeNs, before.uid]);
  });
});
