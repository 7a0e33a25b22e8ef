import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalBackend } from '@cairn/transport';
import { backendContract, hexName, listAll, rejection } from './backend-contract.js';
import { tempDir } from './temp-dir.js';

backendContract('local', async () => {
  const backend = createLocalBackend(join(await tempDir(), 'repo'));
  await backend.create();
  return backend;
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every path below `dir` (relative), folders included. */
async function walk(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

const isTemp = (path: string): boolean => path.split('/').some((part) => part.startsWith('.tmp-'));

async function newRepo() {
  const root = join(await tempDir(), 'repo');
  const backend = createLocalBackend(root);
  await backend.create();
  return { root, backend };
}

describe('createLocalBackend', () => {
  it('lays files out as config, data/<2 hex>/<name>, index/, snapshots/, keys/, locks/ (a prefix folder made by its first pack)', async () => {
    const { root, backend } = await newRepo();
    for (const dir of ['data', 'index', 'snapshots', 'keys', 'locks']) {
      expect((await stat(join(root, dir))).isDirectory(), dir).toBe(true);
    }
    expect(await readdir(join(root, 'data'))).toEqual([]); // no 256 empty prefix folders
    const data = bytes('pack');
    const id = hexName(data);
    expect(await backend.list('data')[Symbol.asyncIterator]().next()).toMatchObject({ done: true });
    await backend.write('data', id, data);
    expect(await readdir(join(root, 'data'))).toEqual([id.slice(0, 2)]);
    await backend.write('config', 'config', bytes('c'));
    await backend.write('snapshot', id, bytes('s'));
    await backend.write('index', id, bytes('i'));
    await backend.write('key', 'k1', bytes('k'));
    await backend.write('lock', 'l1', bytes('l'));
    for (const file of [`data/${id.slice(0, 2)}/${id}`, 'config', `snapshots/${id}`, `index/${id}`, 'keys/k1', 'locks/l1']) {
      expect((await stat(join(root, file))).isFile(), file).toBe(true);
    }
  });

  it('create() is idempotent and keeps what is there', async () => {
    const { backend } = await newRepo();
    await backend.write('config', 'config', bytes('c'));
    await backend.create();
    expect(await backend.read('config', 'config')).toEqual(bytes('c'));
  });

  it('create() on a path that is a file is ERR_EXISTS naming the path', async () => {
    const file = join(await tempDir(), 'not-a-folder');
    await writeFile(file, 'x');
    const error = await rejection(createLocalBackend(file).create(), 'ERR_EXISTS');
    expect(error.message).toContain(file);
    const root = join(await tempDir(), 'repo');
    await mkdir(root);
    await writeFile(join(root, 'index'), 'squatter');
    expect((await rejection(createLocalBackend(root).create(), 'ERR_EXISTS')).message).toContain(join(root, 'index'));
  });

  it('leaves no temporary files after writes, repeated writes and refused writes', async () => {
    const { root, backend } = await newRepo();
    const datas = Array.from({ length: 50 }, (_, i) => bytes(`file ${i}`));
    await Promise.all(datas.map((d) => backend.write('data', hexName(d), d)));
    await Promise.all(datas.map((d) => backend.write('data', hexName(d), d)));
    await rejection(backend.write('data', hexName(datas[0]!), bytes('other')), 'ERR_EXISTS');
    await backend.write('key', 'k', bytes('k'));
    const paths = await walk(root);
    expect(paths.filter(isTemp)).toEqual([]);
    expect(paths.filter((p) => p.startsWith('data/') && p.length > 8)).toHaveLength(50);
  });

  it('cleans up after a write that fails once the temporary file exists (a folder squats the name)', async () => {
    const { root, backend } = await newRepo();
    const data = bytes('squatted');
    const id = hexName(data);
    await mkdir(join(root, 'data', id.slice(0, 2), id), { recursive: true });
    const error = await rejection(backend.write('data', id, data), 'ERR_EXISTS');
    expect(error.message).toContain(join(root, 'data', id.slice(0, 2), id));
    expect(await readdir(join(root, 'data', id.slice(0, 2)))).toEqual([id]);
  });

  it('fails cleanly when the data folder was replaced by a file', async () => {
    const { root, backend } = await newRepo();
    await rm(join(root, 'data'), { recursive: true });
    await writeFile(join(root, 'data'), 'not a folder');
    const before = await walk(root);
    const data = bytes('x');
    const id = hexName(data);
    const error = await rejection(backend.write('data', id, data), 'ERR_NOT_FOUND');
    expect(error.message).toContain(join(root, 'data', id.slice(0, 2), id));
    expect(await walk(root)).toEqual(before);
  });

  it('recreates a missing data/<2 hex> folder, but never a missing repository', async () => {
    const { root, backend } = await newRepo();
    const data = bytes('lazy');
    const id = hexName(data);
    await backend.write('data', hexName(bytes('first')), bytes('first'));
    await rm(join(root, 'data', id.slice(0, 2)), { recursive: true, force: true });
    await backend.write('data', id, data);
    expect(await backend.read('data', id)).toEqual(data);

    const gone = join(await tempDir(), 'unmounted');
    const absent = createLocalBackend(gone);
    await rejection(absent.write('data', id, data), 'ERR_NOT_FOUND');
    await rejection(absent.write('index', id, data), 'ERR_NOT_FOUND');
    await expect(stat(gone)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports a file truncated on disk as ERR_INTEGRITY with what it wanted and what it found', async () => {
    const { root, backend } = await newRepo();
    const data = new Uint8Array(1000).fill(7);
    const id = hexName(data);
    await backend.write('data', id, data);
    const file = join(root, 'data', id.slice(0, 2), id);
    await truncate(file, 600);
    const error = await rejection(backend.read('data', id, { offset: 500, length: 200 }), 'ERR_INTEGRITY');
    expect(error.message).toBe(`${file} is truncated: wanted 200 bytes at offset 500, file has 600`);
    expect((await backend.read('data', id, { offset: 500, length: 100 })).byteLength).toBe(100);
  });

  it('reads into the buffer a reader hands it when the file or range fits, into a new one when it does not', async () => {
    const { backend } = await newRepo();
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const id = hexName(data);
    await backend.write('data', id, data);
    const into = new Uint8Array(2000).fill(9);
    const whole = await backend.read('data', id, undefined, { into });
    expect(Buffer.from(whole).equals(Buffer.from(data))).toBe(true);
    expect(whole.buffer).toBe(into.buffer); // a view of the buffer given
    const range = await backend.read('data', id, { offset: 100, length: 50 }, { into });
    expect(Buffer.from(range).equals(Buffer.from(data.subarray(100, 150)))).toBe(true);
    expect(range.buffer).toBe(into.buffer);
    const small = new Uint8Array(10);
    const fresh = await backend.read('data', id, undefined, { into: small });
    expect(Buffer.from(fresh).equals(Buffer.from(data))).toBe(true);
    expect(fresh.buffer).not.toBe(small.buffer);
  });

  it('lists only valid names: temporary files, strays and misplaced files are skipped', async () => {
    const { root, backend } = await newRepo();
    const data = bytes('real');
    const id = hexName(data);
    await backend.write('data', id, data);
    await backend.write('index', id, data);
    const elsewhere = id.slice(0, 2) === 'ab' ? 'cd' : 'ab';
    await writeFile(join(root, 'data', id.slice(0, 2), '.tmp-0123456789abcdef'), 'partial');
    await mkdir(join(root, 'data', elsewhere), { recursive: true });
    await writeFile(join(root, 'data', elsewhere, id), 'misplaced');
    await mkdir(join(root, 'data', 'zz'));
    await writeFile(join(root, 'data', 'zz', id), 'not a prefix folder');
    await writeFile(join(root, 'index', '.tmp-0123456789abcdef'), 'partial');
    await writeFile(join(root, 'index', 'README'), 'stray');
    await mkdir(join(root, 'index', 'a'.repeat(64)));
    expect(await listAll(backend, 'data')).toEqual([{ name: id, size: 4 }]);
    expect(await listAll(backend, 'index')).toEqual([{ name: id, size: 4 }]);
  });
});

describe('createLocalBackend on a full device', () => {
  it('reports ERR_NO_SPACE naming the repository and leaves no temporary file', async (context) => {
    const mountPoint = await tempDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      context.skip('cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN)');
    }
    try {
      const root = join(mountPoint, 'repo');
      const backend = createLocalBackend(root);
      await backend.create();
      const big = new Uint8Array(1024 * 1024).fill(1);
      const error = await rejection(backend.write('data', hexName(big), big), 'ERR_NO_SPACE');
      expect(error.message).toContain(root);
      expect((await walk(root)).filter(isTemp)).toEqual([]);
      expect(await listAll(backend, 'data')).toEqual([]);
    } finally {
      execFileSync('umount', [mountPoint], { stdio: 'ignore' });
    }
  });
});
