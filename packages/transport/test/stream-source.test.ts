import { describe, expect, it } from 'vitest';
import { createStreamSource } from '@cairn/transport';

async function* from(...parts: (Uint8Array | Error)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Error) throw part;
    yield part;
  }
}

describe('createStreamSource', () => {
  it('is a folder / holding one file /<name>, read once in pieces of at most the buffer size, its size what was read', async () => {
    const source = createStreamSource(from(new Uint8Array(10).fill(1), new Uint8Array(3).fill(2)), { name: 'db.sql', mode: 0o600, mtime: new Date(1000) });
    expect(source.resolve('db.sql')).toBe('/db.sql');
    expect(source.resolve('/db.sql')).toBe('/db.sql');
    expect(source.join('/', 'db.sql')).toBe('/db.sql');
    expect(await source.readdir('/')).toEqual(['db.sql']);
    expect(await source.lstat('/')).toMatchObject({ type: 'dir' });
    expect(await source.lstat('/db.sql')).toMatchObject({ type: 'file', mode: 0o600, size: 0, mtimeNs: 1_000_000_000n, nlink: 1 });
    await expect(source.lstat('/other')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(source.openFile('/other')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });

    const file = await source.openFile('/db.sql');
    expect(file.stream).toBe(true);
    const sizes: number[] = [];
    for await (const piece of file.chunks(4)) sizes.push(piece.byteLength);
    expect(sizes).toEqual([4, 4, 2, 3]);
    expect(await file.stat()).toMatchObject({ type: 'file', size: 13 });
    await file.close();
    await expect(source.openFile('/db.sql')).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
  });

  it('turns a failing stream into a CairnError naming the file, and refuses a name that is not one entry name', async () => {
    const source = createStreamSource(from(new Uint8Array(2), Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })));
    const file = await source.openFile('/stdin');
    const read = async (): Promise<void> => {
      for await (const _ of file.chunks(1024)) { /* drain */ }
    };
    await expect(read()).rejects.toMatchObject({ code: 'ERR_IO', message: expect.stringContaining('/stdin') as unknown });
    for (const name of ['', '.', '..', 'a/b', '/x', 'a\0b']) expect(() => createStreamSource(from(), { name })).toThrow(RangeError);
  });
});
