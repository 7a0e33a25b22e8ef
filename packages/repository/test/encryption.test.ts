import { createHash } from 'node:crypto';
import { rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import { addKey, changePassword, contentIds, initRepository, listKeys, openRepository, removeKey } from '@cairn/repository';
import { createLocalBackend } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

const FAST = { N: 1024, r: 8, p: 1 };
const password = async (): Promise<string> => 'pw';

async function encrypted(): Promise<{ dir: string }> {
  const dir = join(await tempDir(), 'repo');
  await initRepository(createLocalBackend(dir), { encryption: 'chacha20-poly1305', password: 'pw', kdf: FAST });
  return { dir };
}

describe('the encryption layer of an encrypted repository', () => {
  it('reads back plaintext ranges and sizes, accepts a name written again with the same content and refuses other content under it', async () => {
    const { dir } = await encrypted();
    const repo = await openRepository(createLocalBackend(dir), { password });
    const plain = seededBytes(200_000, 3);
    const name = toHex(contentIds(repo.backend).id(plain));
    await repo.backend.write('data', name, [plain.subarray(0, 70_000), plain.subarray(70_000)]);
    expect((await repo.backend.stat('data', name)).size).toBe(plain.length);
    const listed = [];
    for await (const f of repo.backend.list('data')) listed.push(f);
    expect(listed).toEqual([{ name, size: plain.length }]);
    for (const [offset, length] of [[0, 10], [65_530, 20], [131_072, 68_928], [199_999, 1]] as const) {
      expect(Buffer.from(await repo.backend.read('data', name, { offset, length }))).toEqual(plain.subarray(offset, offset + length));
    }
    await expect(repo.backend.read('data', name, { offset: 199_990, length: 20 })).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    // Sealing is randomized: the second write's bytes differ, yet the same plaintext is accepted.
    await repo.backend.write('data', name, plain);
    await expect(repo.backend.write('data', name, seededBytes(200_000, 4))).rejects.toMatchObject({ code: 'ERR_EXISTS' });

    // Keyed ids: not the SHA-256 of the content, and not the same as another repository's.
    expect(contentIds(repo.backend).keyed).toBe(true);
    expect(name).not.toBe(createHash('sha256').update(plain).digest('hex'));
    const other = await encrypted();
    expect(toHex(contentIds((await openRepository(createLocalBackend(other.dir), { password })).backend).id(plain))).not.toBe(name);

    // Cut at a segment boundary: the size is no encrypted file's (the last segment is always short).
    await truncate(join(dir, 'data', name.slice(0, 2), name), 32 + 2 * (65_536 + 16));
    const fresh = await openRepository(createLocalBackend(dir), { password });
    await expect(fresh.backend.read('data', name)).rejects.toThrow(/failed authentication|no whole number of segments/);
    await expect(fresh.backend.stat('data', name)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    // Such a file (an upload cut short, where the storage writes in place) is replaced by the next write of its content.
    await fresh.backend.write('data', name, plain);
    expect(Buffer.from(await fresh.backend.read('data', name))).toEqual(plain);
    expect((await fresh.backend.stat('data', name)).size).toBe(plain.length);
    // Killed before the header was whole (empty, or a few bytes), or bytes that are no encrypted file at all.
    const path = join(dir, 'data', name.slice(0, 2), name);
    for (const remains of [Buffer.alloc(0), Buffer.from('CAIRN'), Buffer.alloc(4096)]) {
      await writeFile(path, remains);
      const again = await openRepository(createLocalBackend(dir), { password });
      await expect(again.backend.read('data', name)).rejects.toMatchObject({ code: remains.length < 32 ? 'ERR_INTEGRITY' : 'ERR_FORMAT' });
      await again.backend.write('data', name, plain);
      expect(Buffer.from(await again.backend.read('data', name))).toEqual(plain);
    }
  });

  it('reads ranges of one file into a buffer the reader reuses: each is right (the file header it keeps is not a view of that buffer)', async () => {
    const { dir } = await encrypted();
    const repo = await openRepository(createLocalBackend(dir), { password });
    const plain = seededBytes(200_000, 5);
    const name = toHex(contentIds(repo.backend).id(plain));
    await repo.backend.write('data', name, plain);
    const into = new Uint8Array(300_000);
    for (const [offset, length] of [[0, 1000], [70_000, 50_000], [150_000, 50_000]] as const) {
      const bytes = await repo.backend.read('data', name, { offset, length }, { into });
      expect(Buffer.from(bytes)).toEqual(plain.subarray(offset, offset + length));
      into.fill(0x5a); // the reader reuses its buffer for the next read
    }
    expect(Buffer.from(await repo.backend.read('data', name, undefined, { into }))).toEqual(plain);
  });

  it('needs a password to create and open one, names a repository without key files, and manages keys', async () => {
    const dir = join(await tempDir(), 'repo');
    await expect(initRepository(createLocalBackend(dir), { encryption: 'aes-256-gcm' })).rejects.toMatchObject({ code: 'ERR_PASSWORD' });
    const { dir: enc } = await encrypted();
    const repo = await openRepository(createLocalBackend(enc), { password });
    const second = await addKey(repo, 'second', FAST);
    expect((await listKeys(repo)).map((k) => [k.name === second, k.current])).toEqual(expect.arrayContaining([[true, false], [false, true]]));
    const third = await changePassword(repo, 'third', FAST);
    await expect(openRepository(createLocalBackend(enc), { password })).rejects.toMatchObject({ code: 'ERR_PASSWORD' });
    const reopened = await openRepository(createLocalBackend(enc), { password: async () => 'third' });
    expect(reopened.key?.keyName).toBe(third);
    await removeKey(reopened, second.slice(0, 12));
    await expect(removeKey(reopened, third)).rejects.toMatchObject({ code: 'ERR_USAGE', message: expect.stringContaining('last key') as string });
    await rm(join(enc, 'keys'), { recursive: true });
    await expect(openRepository(createLocalBackend(enc), { password })).rejects.toMatchObject({ code: 'ERR_FORMAT', message: expect.stringContaining('has no key files') as string });
  });
});
