import { mkdir, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server } from '../../../packages/remote/test/s3-server.js';
import type { S3TestServer } from '../../../packages/remote/test/s3-server.js';
import { cairn, tempDir } from './run-cli.js';

/** Remote repositories are always encrypted: every run gives the password. */
const PW = { CAIRN_PASSWORD: 'remote test password' };

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server.stop();
});

let repos = 0;
/** A fresh repository location in the test server's bucket, as a user writes it. */
const location = (): string => `s3:${server.endpoint.replace('http://', '')}/${server.bucket}/cli-${++repos}`;

/** Runs cairn against the server with its credentials and the cache under `home`. */
const run = (home: string, args: string[], env: Record<string, string> = {}) =>
  cairn(args, { home, env: { ...PW, ...server.env, XDG_CACHE_HOME: join(home, 'cache'), ...env } });

/** Files in `dir` and below (relative paths), folders left out. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe('cairn with an s3: repository (s3rver)', () => {
  it('init, backup, snapshots, restore and check round-trip through the server', async () => {
    const home = await tempDir();
    const source = join(home, 'src');
    await mkdir(join(source, 'sub'), { recursive: true });
    await writeFile(join(source, 'a.txt'), 'alpha\n');
    await writeFile(join(source, 'sub', 'b.bin'), Buffer.alloc(300_000, 7));
    const repo = location();
    const init = await run(home, ['init', '--repo', repo]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect((await run(home, ['backup', '--repo', repo, source])).code).toBe(0);
    const snapshots = await run(home, ['snapshots', '--repo', repo]);
    expect(snapshots.code).toBe(0);
    expect(snapshots.stdout).toContain('1 snapshots');
    const target = join(home, 'restored');
    const restore = await run(home, ['restore', '--repo', repo, 'latest', '--target', target]);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const restoredFiles = await files(target);
    expect(restoredFiles.some((f) => f.endsWith('a.txt'))).toBe(true);
    const b = restoredFiles.find((f) => f.endsWith('b.bin'));
    expect(b).toBeDefined();
    expect((await readFile(join(target, b ?? ''))).equals(Buffer.alloc(300_000, 7))).toBe(true);
    const check = await run(home, ['check', '--repo', repo, '--read-data']);
    expect(check.stdout).toContain('no errors found');
    expect(check.code).toBe(0);
  });

  it('a no-op backup with the cache downloads next to nothing (< 64 KiB); a deleted or damaged cache is rebuilt without errors', async () => {
    const home = await tempDir();
    const source = join(home, 'src');
    // 3,000 files: their index and tree packs are some 250 KB, which a backup without the cache downloads.
    for (let d = 0; d < 30; d++) {
      const dir = join(source, `folder-${d}`);
      await mkdir(dir, { recursive: true });
      await Promise.all(Array.from({ length: 100 }, (_, f) => writeFile(join(dir, `a-file-with-a-long-name-${f}.txt`), `${d}/${f} ${'x'.repeat(f)}\n`)));
    }
    const repo = location();
    expect((await run(home, ['init', '--repo', repo])).code).toBe(0);
    const before = await server.bytesSent();
    expect((await run(home, ['backup', '--repo', repo, source])).code).toBe(0);
    const first = (await server.bytesSent()) - before;

    const noop = async (): Promise<number> => {
      const start = await server.bytesSent();
      const backup = await run(home, ['backup', '--repo', repo, source]);
      expect(backup.stderr).toBe('');
      expect(backup.code).toBe(0);
      expect(backup.stdout).toContain('3000 unchanged');
      return (await server.bytesSent()) - start;
    };
    const warm = await noop();
    expect(first).toBeLessThan(64 * 1024); // what the first backup wrote is cached as it is written
    expect(warm).toBeLessThan(64 * 1024);

    const cache = join(home, 'cache', 'cairn');
    await rm(cache, { recursive: true, force: true });
    const cold = await noop();
    expect(cold).toBeGreaterThan(20 * warm); // the cache is what saves the downloads
    expect((await files(cache)).length).toBeGreaterThan(2);
    expect(await noop()).toBeLessThan(64 * 1024);

    // Damage every cached file: each is read again from the server, and the backup is as before.
    for (const file of await files(cache)) await writeFile(join(cache, file), 'garbage');
    expect(await noop()).toBeGreaterThan(20 * warm);
    expect(await noop()).toBeLessThan(64 * 1024);
  });

  it('a missing bucket and bad credentials are one clear error line each, exit 1', async () => {
    const home = await tempDir();
    const missing = await run(home, ['snapshots', '--repo', `s3:${server.endpoint.replace('http://', '')}/no-such-bucket/x`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.split('\n')[0]).toBe(`cairn: no cairn repository at s3:${server.endpoint}/no-such-bucket: the bucket does not exist`);
    // init creates the bucket it names.
    expect((await run(home, ['init', '--repo', `s3:${server.endpoint}/new-bucket/x`])).code).toBe(0);
    expect((await run(home, ['snapshots', '--repo', `s3:${server.endpoint}/new-bucket/x`])).code).toBe(0);
    const repo = location();
    expect((await run(home, ['init', '--repo', repo])).code).toBe(0);
    const denied = await run(home, ['snapshots', '--repo', repo], { AWS_ACCESS_KEY_ID: 'nobody', AWS_SECRET_ACCESS_KEY: 'wrong' });
    expect(denied.code).toBe(1);
    expect(denied.stderr.split('\n')[0]).toMatch(/^cairn: access to s3:http:\/\/127\.0\.0\.1:\d+\/cairn denied \(InvalidAccessKeyId\): /);
    expect(denied.stderr).not.toContain('    at ');
  });
});
