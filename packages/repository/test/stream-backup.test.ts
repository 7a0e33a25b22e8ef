import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, initRepository, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalTarget, createStreamSource } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

/** `data` in pieces of the given sizes, in turn (as a pipe delivers it). */
async function* pieces(data: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < data.length; i += 1) {
    const size = sizes[i % sizes.length] ?? 1;
    yield data.subarray(at, at + size);
    at += size;
  }
}

describe('a backup of a stream (createStreamSource)', () => {
  it('stores the bytes as one file /<name> that restores exactly; the same bytes again add no data', async () => {
    const work = await tempDir();
    const backend = createLocalBackend(join(work, 'repo'));
    await initRepository(backend, { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 } });
    const data = seededBytes(3_000_000, 7);
    // Pieces larger than the read buffer are split; odd sizes cross chunk boundaries.
    const source = () => createStreamSource(pieces(data, [65_536, 1, 700_001, 12_345]), { name: 'db.sql', mtime: new Date('2026-01-02T03:04:05Z') });
    const first = await backup(await openRepository(backend), { source: source(), paths: ['db.sql'], readBufferSize: 256 * 1024 });
    expect(first.partial).toBe(false);
    expect(first.snapshot.paths).toEqual(['/db.sql']);
    expect(first.snapshot.summary).toMatchObject({ filesNew: 1, bytesRead: data.length, dirs: 0 });
    const repo = await openRepository(backend);
    const [node] = await repo.loadTree(first.snapshot.tree, 'test');
    expect(node).toMatchObject({ name: 'db.sql', type: 'file', size: data.length, mode: 0o644, mtimeNs: 1_767_323_045_000_000_000n });

    const out = join(work, 'out');
    await restore(repo, first.id, { target: createLocalTarget(out) });
    expect(await readdir(out)).toEqual(['db.sql']);
    expect(Buffer.compare(await readFile(join(out, 'db.sql')), data)).toBe(0);

    const second = await backup(await openRepository(backend), { source: source(), paths: ['/db.sql'] });
    expect(Buffer.from(second.snapshot.parent ?? []).toString('hex')).toBe(first.id);
    expect(second.snapshot.summary).toMatchObject({ filesUnchanged: 1, bytesRead: data.length, dataBlobsAdded: 0 });
  });

  it('stores an empty stream as an empty file, and tells a stream from paths it does not hold', async () => {
    const work = await tempDir();
    const backend = createLocalBackend(join(work, 'repo'));
    await initRepository(backend);
    const empty = createStreamSource(pieces(new Uint8Array(0), [1]));
    expect(empty.resolve('stdin')).toBe('/stdin');
    await expect(empty.lstat('/other')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    const result = await backup(await openRepository(backend), { source: empty, paths: ['stdin'] });
    const [node] = await (await openRepository(backend)).loadTree(result.snapshot.tree, 'test');
    expect(node).toMatchObject({ name: 'stdin', type: 'file', size: 0, content: [] });
    // Read once: the walk opened it; a second open is refused.
    await expect(empty.openFile('/stdin')).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
    for (const bad of ['', '.', '..', 'a/b', 'nul\0']) expect(() => createStreamSource(pieces(new Uint8Array(0), [1]), { name: bad })).toThrow(RangeError);
  });
});
