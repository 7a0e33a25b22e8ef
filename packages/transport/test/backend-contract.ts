import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import type { Backend, ErrorCode, FileInfo, FileType } from '@cairn/core';

/** The 64-hex-digit SHA-256 of `bytes`: how cairn names data, index and snapshot files. */
export function hexName(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Everything `backend.list(type)` yields, sorted by name. */
export async function listAll(backend: Backend, type: FileType): Promise<FileInfo[]> {
  const files: FileInfo[] = [];
  for await (const file of backend.list(type)) files.push(file);
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Awaits `promise` and returns the CairnError it rejects with, failing when it has another code. */
export async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  const error = await promise.then(
    () => { throw new Error(`expected a rejection with ${code}, but it resolved`); },
    (e: unknown) => e,
  );
  if (!isCairnError(error, code)) throw new Error(`expected ${code}, got ${String(error)}`, { cause: error });
  return error;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Registers the tests every Backend must pass; `makeBackend` returns a fresh, created backend. */
export function backendContract(name: string, makeBackend: () => Promise<Backend>): void {
  describe(`Backend contract: ${name}`, () => {
    it('has a location to name in messages', async () => {
      const backend = await makeBackend();
      expect(typeof backend.location).toBe('string');
      expect(backend.location.length).toBeGreaterThan(0);
    });

    it('reads back what it wrote, from one piece or many, for every file type', async () => {
      const backend = await makeBackend();
      const data = randomBytes(10_000);
      const id = hexName(data);
      await backend.write('data', id, [data.subarray(0, 1), data.subarray(1, 5000), new Uint8Array(0), data.subarray(5000)]);
      expect(Buffer.from(await backend.read('data', id)).equals(data)).toBe(true);
      const written: [FileType, string, Uint8Array][] = [
        ['config', 'config', bytes('{"version":1}')],
        ['index', hexName(bytes('i')), bytes('i')],
        ['snapshot', hexName(bytes('s')), bytes('s')],
        ['key', 'my-key.1', bytes('k')],
        ['lock', 'host_42', bytes('l')],
      ];
      for (const [type, file, content] of written) await backend.write(type, file, content);
      for (const [type, file, content] of written) expect(await backend.read(type, file)).toEqual(content);
    });

    it('keeps its own copy: changing the buffers after write or read changes nothing stored', async () => {
      const backend = await makeBackend();
      const data = new Uint8Array([1, 2, 3, 4]);
      const id = hexName(data);
      await backend.write('data', id, data);
      data.fill(9);
      const first = await backend.read('data', id);
      first.fill(7);
      expect(await backend.read('data', id)).toEqual(new Uint8Array([1, 2, 3, 4]));
    });

    it('reads exact ranges, and a range past the end is ERR_INTEGRITY naming the file', async () => {
      const backend = await makeBackend();
      const data = randomBytes(4096);
      const id = hexName(data);
      await backend.write('data', id, data);
      expect(Buffer.from(await backend.read('data', id, { offset: 100, length: 1000 })).equals(data.subarray(100, 1100))).toBe(true);
      expect((await backend.read('data', id, { offset: 4096, length: 0 })).byteLength).toBe(0);
      expect(Buffer.from(await backend.read('data', id, { offset: 4000, length: 96 })).equals(data.subarray(4000))).toBe(true);
      const error = await rejection(backend.read('data', id, { offset: 4000, length: 97 }), 'ERR_INTEGRITY');
      expect(error.message).toContain(id);
      expect(error.message).toContain('truncated: wanted 97 bytes at offset 4000, file has 4096');
      await rejection(backend.read('data', id, { offset: 5000, length: 1 }), 'ERR_INTEGRITY');
    });

    it('rejects a malformed range with RangeError', async () => {
      const backend = await makeBackend();
      const id = hexName(bytes('r'));
      await backend.write('data', id, bytes('r'));
      await expect(backend.read('data', id, { offset: -1, length: 1 })).rejects.toThrow(RangeError);
      await expect(backend.read('data', id, { offset: 0, length: 1.5 })).rejects.toThrow(RangeError);
    });

    it('stats sizes and reports missing files as ERR_NOT_FOUND', async () => {
      const backend = await makeBackend();
      const data = randomBytes(777);
      const id = hexName(data);
      await backend.write('index', id, data);
      expect(await backend.stat('index', id)).toEqual({ name: id, size: 777 });
      const missing = hexName(bytes('missing'));
      expect((await rejection(backend.stat('index', missing), 'ERR_NOT_FOUND')).message).toContain(missing);
      expect((await rejection(backend.read('snapshot', missing), 'ERR_NOT_FOUND')).message).toContain(missing);
      await rejection(backend.read('data', missing, { offset: 0, length: 1 }), 'ERR_NOT_FOUND');
      await rejection(backend.read('config', 'config'), 'ERR_NOT_FOUND');
      await rejection(backend.stat('lock', 'nobody'), 'ERR_NOT_FOUND');
    });

    it('lists exactly the files of a type with their sizes', async () => {
      const backend = await makeBackend();
      const datas = Array.from({ length: 20 }, (_, i) => randomBytes(i + 1));
      for (const d of datas) await backend.write('data', hexName(d), d);
      const snap = bytes('snapshot');
      await backend.write('snapshot', hexName(snap), snap);
      await backend.write('lock', 'a-lock', bytes('xy'));
      const expected = datas.map((d) => ({ name: hexName(d), size: d.byteLength }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      expect(await listAll(backend, 'data')).toEqual(expected);
      expect(await listAll(backend, 'snapshot')).toEqual([{ name: hexName(snap), size: snap.byteLength }]);
      expect(await listAll(backend, 'lock')).toEqual([{ name: 'a-lock', size: 2 }]);
      expect(await listAll(backend, 'index')).toEqual([]);
      expect(await listAll(backend, 'config')).toEqual([]);
      await backend.write('config', 'config', bytes('c'));
      expect(await listAll(backend, 'config')).toEqual([{ name: 'config', size: 1 }]);
    });

    it('removes files, and removing a missing file is fine', async () => {
      const backend = await makeBackend();
      const keep = bytes('keep');
      const drop = bytes('drop');
      await backend.write('data', hexName(keep), keep);
      await backend.write('data', hexName(drop), drop);
      await backend.remove('data', hexName(drop));
      await rejection(backend.read('data', hexName(drop)), 'ERR_NOT_FOUND');
      expect((await listAll(backend, 'data')).map((f) => f.name)).toEqual([hexName(keep)]);
      await backend.remove('data', hexName(drop));
      await backend.remove('lock', 'never-written');
    });

    it('writes exclusively: the same bytes again succeed, other bytes are ERR_EXISTS and change nothing', async () => {
      const backend = await makeBackend();
      const data = bytes('original content');
      const id = hexName(data);
      await backend.write('data', id, data);
      await backend.write('data', id, [data.subarray(0, 3), data.subarray(3)]);
      const other = await rejection(backend.write('data', id, bytes('original contenT')), 'ERR_EXISTS');
      expect(other.message).toContain(id);
      await rejection(backend.write('data', id, bytes('original content, longer')), 'ERR_EXISTS');
      await backend.write('config', 'config', bytes('one'));
      await rejection(backend.write('config', 'config', bytes('two')), 'ERR_EXISTS');
      expect(await backend.read('data', id)).toEqual(data);
      expect(await backend.read('config', 'config')).toEqual(bytes('one'));
    });

    it('rejects names that do not fit the type with TypeError', async () => {
      const backend = await makeBackend();
      const bad: [FileType, string][] = [
        ['data', 'abc'], ['data', 'AB'.repeat(32)], ['index', `${'a'.repeat(64)}/`], ['snapshot', `../${'a'.repeat(61)}`],
        ['config', 'settings'], ['key', '..'], ['key', 'a/b'], ['lock', ''], ['lock', '.tmp-x'], ['data', 'config'],
      ];
      for (const [type, file] of bad) {
        await expect(backend.write(type, file, bytes('x')), `${type} ${file}`).rejects.toThrow(TypeError);
        await expect(backend.read(type, file), `${type} ${file}`).rejects.toThrow(TypeError);
        await expect(backend.stat(type, file), `${type} ${file}`).rejects.toThrow(TypeError);
        await expect(backend.remove(type, file), `${type} ${file}`).rejects.toThrow(TypeError);
      }
      await expect(backend.write('bogus' as FileType, 'config', bytes('x'))).rejects.toThrow(/bogus/);
      await expect(backend.write('data', hexName(bytes('x')), 'x' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    });

    it('takes many parallel writes, including the same file written concurrently', async () => {
      const backend = await makeBackend();
      const datas = Array.from({ length: 200 }, () => randomBytes(1 + Math.floor(Math.random() * 3000)));
      const same = randomBytes(50_000);
      await Promise.all([
        ...datas.map((d) => backend.write('data', hexName(d), d)),
        ...Array.from({ length: 10 }, () => backend.write('data', hexName(same), same)),
      ]);
      const listed = await listAll(backend, 'data');
      expect(listed).toHaveLength(201);
      for (const d of datas) expect(Buffer.from(await backend.read('data', hexName(d))).equals(d)).toBe(true);
      expect(Buffer.from(await backend.read('data', hexName(same))).equals(same)).toBe(true);
    });
  });
}
