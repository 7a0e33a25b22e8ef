import { createHash } from 'node:crypto';
import { cp, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { check, listSnapshots, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { tempDir } from './helpers.js';

const golden = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'golden-encrypted');

interface Manifest {
  password: string;
  encryption: string;
  snapshot: string;
  entries: Record<string, { sha256: string; size: number }>;
}

describe('golden encrypted repository (aes-256-gcm, keyed ids)', () => {
  it('opens with its password, checks clean reading every pack, and restores byte for byte; refuses no and a wrong password', async () => {
    const manifest = JSON.parse(await readFile(join(golden, 'manifest.json'), 'utf8')) as Manifest;
    const work = await tempDir();
    await cp(join(golden, 'repo'), join(work, 'repo'), { recursive: true });
    const backend = createLocalBackend(join(work, 'repo'));
    await expect(openRepository(backend)).rejects.toMatchObject({ code: 'ERR_PASSWORD' });
    await expect(openRepository(backend, { password: async () => 'not it' })).rejects.toMatchObject({ code: 'ERR_PASSWORD', message: expect.stringContaining('no key matches the password') as string });

    const repo = await openRepository(backend, { password: async () => manifest.password });
    expect(repo.config.encryption).toBe(manifest.encryption);
    expect((await check(repo, { readData: true })).problems).toEqual([]);
    const { snapshots } = await listSnapshots(repo);
    expect(snapshots.map((s) => s.id)).toEqual([manifest.snapshot]);

    const out = join(work, 'out');
    const result = await restore(repo, manifest.snapshot, { target: createLocalTarget(out) });
    expect(result.problems).toEqual([]);
    for (const [path, want] of Object.entries(manifest.entries)) {
      const bytes = await readFile(join(out, path));
      expect({ sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length }, path).toEqual(want);
    }
  });
});
