import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRcloneBackend } from '@cairn/remote';
import { backendContract, hexName, rejection } from '../../transport/test/backend-contract.js';
import { tempDir } from '../../transport/test/temp-dir.js';

// rclone's local remote, named inline (":local:"), so no rclone config is needed.
const rcloneArgs = ['--config', '/dev/null'];

backendContract('rclone (serve restic --stdio over :local:)', async () => {
  const backend = createRcloneBackend(`:local:${join(await tempDir(), 'repo')}`, { args: rcloneArgs });
  await backend.create();
  return backend;
});

/** A real OpenSSH server on a free 127.0.0.1 port, with a fresh host key and one client key; undefined where sshd cannot run (not root, not installed). */
async function startSshd(): Promise<{ port: number; clientKey: string } | undefined> {
  if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/sshd')) return undefined;
  const dir = await tempDir();
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client')]);
  await copyFile(join(dir, 'client.pub'), join(dir, 'authorized_keys'));
  await chmod(join(dir, 'authorized_keys'), 0o600);
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  await writeFile(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no', 'StrictModes no', 'UsePAM no', 'Subsystem sftp internal-sftp', `PidFile ${join(dir, 'sshd.pid')}`, '',
  ].join('\n'));
  await mkdir('/run/sshd', { recursive: true });
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  afterAll(() => { sshd.kill(); });
  await new Promise<void>((resolve, reject) => {
    let said = '';
    sshd.stderr.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('Server listening')) resolve();
    });
    sshd.on('exit', () => reject(new Error(`sshd did not start: ${said}`)));
  });
  return { port, clientKey: join(dir, 'client') };
}

const sshd = await startSshd();
if (sshd !== undefined) {
  // rclone's sftp remote, inline: a real OpenSSH server started here.
  backendContract('rclone (serve restic --stdio over an sftp remote, OpenSSH)', async () => {
    // shell_type=none: rclone skips probing the shell and hash commands (a login each).
    const remote = `:sftp,host=127.0.0.1,port=${sshd.port},user=root,key_file=${sshd.clientKey},shell_type=none:${join(await tempDir(), 'repo')}`;
    const backend = createRcloneBackend(remote, { args: rcloneArgs });
    await backend.create();
    return backend;
  });
} else {
  describe.skip('rclone over sftp: needs root and /usr/sbin/sshd to start an OpenSSH server', () => undefined);
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('createRcloneBackend', () => {
  it('replaces a partial upload of a content-addressed file (rclone writes in place), never other content', async () => {
    const root = join(await tempDir(), 'repo');
    const backend = createRcloneBackend(`:local:${root}`, { args: rcloneArgs });
    await backend.create();
    const data = bytes('the whole pack, of which rclone wrote a part before it died');
    const id = hexName(data);
    await mkdir(join(root, 'data', id.slice(0, 2)), { recursive: true });
    await writeFile(join(root, 'data', id.slice(0, 2), id), data.subarray(0, 10));
    await backend.write('data', id, data);
    expect(await backend.read('data', id)).toEqual(data);
    await rejection(backend.write('data', id, bytes('other bytes under that name')), 'ERR_EXISTS');
    expect(await readFile(join(root, 'data', id.slice(0, 2), id))).toEqual(Buffer.from(data));
  });

  it('says clearly when the remote does not exist, and when rclone is not installed', async () => {
    const missingRemote = createRcloneBackend('nosuchremote:repo', { args: rcloneArgs });
    const error = await rejection(missingRemote.stat('config', 'config'), 'ERR_USAGE');
    expect(error.message).toMatch(/^rclone:nosuchremote:repo: rclone serve restic exited with status 1: .*nosuchremote/);
    const noProgram = createRcloneBackend(':local:/tmp', { program: 'rclone-not-installed-here' });
    const missing = await rejection(noProgram.stat('config', 'config'), 'ERR_UNSUPPORTED');
    expect(missing.message).toContain('"rclone-not-installed-here" is not installed');
  });
});
