import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VERSION } from '@cairn/repository';
import { tempDir } from './run-cli.js';

const run = promisify(execFile);
const CLI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The first line of a file. */
async function firstLine(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(100), 0, 100, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
  } finally {
    await handle.close();
  }
}

/**
 * Makes the tarball the README's install uses (`pnpm pack` in apps/cli) into `dir`; returns its
 * path. pnpm is the one that runs the tests when there is one (`pnpm test`), else `npx pnpm@10`.
 */
async function pack(dir: string): Promise<string> {
  const execPath = process.env['npm_execpath'] ?? '';
  const [command, args] = /pnpm/.test(execPath) ? [process.execPath, [execPath]] : ['npx', ['--yes', 'pnpm@10']];
  await run(command, [...args, 'pack', '--pack-destination', dir], { cwd: CLI_DIR, timeout: 120_000 });
  const [tarball] = (await readdir(dir)).filter((name) => name.endsWith('.tgz'));
  expect(tarball).toBe(`cairn-backup-${VERSION}.tgz`);
  return join(dir, tarball ?? '');
}

/** Why the npm registry cannot be used here, or undefined when it answers. */
function registryUnreachable(): string | undefined {
  const ping = spawnSync('npm', ['ping'], { encoding: 'utf8', timeout: 20_000 });
  return ping.status === 0 ? undefined : `the npm registry does not answer (npm ping: ${(ping.stderr || ping.error?.message || 'timed out').trim().split('\n')[0]})`;
}

describe('the install path', () => {
  it('the bin is executable with a shebang, and the tarball names no workspace package (they are in the bundle)', async (context) => {
    for (const file of ['dist/main.js', 'dist/cairn.js']) {
      expect((await stat(join(CLI_DIR, file))).mode & 0o111, `${file} is executable`).toBe(0o111);
      expect(await firstLine(join(CLI_DIR, file))).toBe('#!/usr/bin/env node');
    }
    const manifest = JSON.parse(await readFile(join(CLI_DIR, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean; bin: Record<string, string>; dependencies: Record<string, string> };
    expect(manifest).toMatchObject({ name: 'cairn-backup', version: VERSION, bin: { cairn: './dist/cairn.js' } });
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('@cairn/'))).toEqual([]);

    const dir = await tempDir();
    const tarball = await pack(dir).catch((error: unknown) => {
      // Only npx fetching pnpm needs the network here.
      const unreachable = registryUnreachable();
      if (unreachable !== undefined) context.skip(`cannot run pnpm: ${unreachable}`);
      throw error;
    });
    const { stdout } = await run('tar', ['-tzf', tarball]);
    // The local source's native folder calls are built on Linux (packages/transport/scripts/build-native.mjs).
    const native = process.platform === 'linux' ? ['package/dist/native/cairn-fs.node'] : [];
    expect(stdout.split('\n').filter((line) => line !== '').sort()).toEqual(['package/LICENSE', 'package/README.md', 'package/dist/cairn-main.cjs', 'package/dist/cairn.js', 'package/dist/compress-worker.js', 'package/dist/decode-worker.js', 'package/dist/grep-worker.js', ...native, 'package/dist/pool-worker.cjs', 'package/dist/web/app.css', 'package/dist/web/app.js', 'package/dist/web/index.html', 'package/dist/whole-file-worker.js', 'package/package.json']);
    const packed = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as { dependencies: Record<string, string>; devDependencies?: Record<string, string> };
    expect(JSON.stringify(packed)).not.toContain('workspace:');
    expect(Object.keys(packed.dependencies).filter((name) => name.startsWith('@cairn/'))).toEqual([]);
  }, 180_000);

  it('npm install -g into a prefix gives a cairn that runs: version, and a backup and restore through the bundled compression and decode workers, a grep through the grep worker', async (context) => {
    // The third-party packages (commander, msgpackr, zstd, serialport, …) come from the registry.
    const unreachable = registryUnreachable();
    if (unreachable !== undefined) context.skip(unreachable);
    const dir = await tempDir();
    const tarball = await pack(dir);
    const prefix = join(dir, 'prefix');
    await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], { timeout: 400_000 });
    const bin = join(prefix, 'bin', 'cairn');
    const env = { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_DATA_HOME: join(dir, 'data') };
    const version = await run(bin, ['version'], { env });
    if (process.platform === 'linux') {
      // The native folder calls came with it, and load.
      const native = join(prefix, 'lib', 'node_modules', 'cairn-backup', 'dist', 'native', 'cairn-fs.node');
      expect((await run(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(native)}).lstatAt)`])).stdout).toBe('function\n');
    }
    expect(version.stdout).toBe(`cairn ${VERSION} (node ${process.version}, ${process.platform}/${process.arch})\n`);

    // 10 MiB of data fills more than one 4 MiB batch, so the compression worker (dist/compress-worker.js) runs,
    // and the restore reads more than 8 MiB, so it decodes in the decode worker (dist/decode-worker.js).
    await mkdir(join(dir, 'src'));
    const data = randomBytes(10 * 1024 * 1024);
    await writeFile(join(dir, 'src', 'data.bin'), data);
    // ~1.5 MB of stored text: more than a grep batch, so the grep worker (dist/grep-worker.js) runs.
    const lines = Array.from({ length: 40_000 }, (_, i) => `${randomBytes(32).toString('hex')}${i % 1000 === 0 ? ' marker' : ''}`);
    await writeFile(join(dir, 'src', 'log.txt'), `${lines.join('\n')}\n`);
    // Small files, written whole by the local target: past its first 256, on its own thread (dist/whole-file-worker.js).
    await mkdir(join(dir, 'src', 'many'));
    for (let i = 0; i < 300; i += 1) await writeFile(join(dir, 'src', 'many', `n${i}.txt`), `note ${i}\n`);
    await run(bin, ['--repo', join(dir, 'repo'), 'init'], { env });
    await run(bin, ['--repo', join(dir, 'repo'), 'backup', join(dir, 'src'), '--compression', 'max'], { env });
    await run(bin, ['--repo', join(dir, 'repo'), 'restore', 'latest', '--target', join(dir, 'out')], { env });
    expect((await readFile(join(dir, 'out', 'src', 'data.bin'))).equals(data)).toBe(true);
    expect(await readFile(join(dir, 'out', 'src', 'many', 'n299.txt'), 'utf8')).toBe('note 299\n');
    expect(await readdir(join(dir, 'out', 'src', 'many'))).toHaveLength(300);
    expect((await run(bin, ['--repo', join(dir, 'repo'), 'check', '--read-data'], { env })).stdout).toContain('no errors found');
    expect((await run(bin, ['--repo', join(dir, 'repo'), 'grep', '-c', '-F', 'marker'], { env })).stdout).toMatch(/^src\/log\.txt \(in [0-9a-f]{8}\): 40\n$/);

    // The S3 SDK, which the bundle loads on the first request to an s3: repository, is installed with it.
    const s3 = await run(bin, ['snapshots', '--repo', 's3:127.0.0.1:9/bucket/x'], { env: { ...env, AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', CAIRN_RETRY_ATTEMPTS: '1' } }).then(
      () => { throw new Error('cairn snapshots on a closed port succeeded'); },
      (error: unknown) => error as { stderr: string },
    );
    expect(s3.stderr).toMatch(/^cairn: s3:http:\/\/127\.0\.0\.1:9\/bucket.* did not answer/m);
  }, 600_000);
});
