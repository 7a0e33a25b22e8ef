import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError } from '@cairn/core';
import type { RemoteLocation, RemoteServer } from './remote-server.js';
import { freePort, kill, waitListening } from './server-process.js';

const SSHD = '/usr/sbin/sshd';
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

/** Why a real OpenSSH server cannot run here (no sshd, not root), or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD) || !existsSync(SFTP_SERVER)) return `${SSHD} or ${SFTP_SERVER} is not installed (Debian openssh-server)`;
  if (process.getuid?.() !== 0) return 'sshd needs root to start (its privilege separation)';
  return undefined;
}

/**
 * A real OpenSSH server (sshd -D, a temporary config, host key and client key) whose sftp
 * subsystem is sftp-server behind a wrapper that counts the bytes each session sends to the
 * client: SFTP protocol bytes, before ssh's encryption and framing. cairn and restic use the same server.
 */
export async function startSftp(dir: string): Promise<RemoteServer> {
  const why = sshdUnavailable();
  if (why !== undefined) throw new CairnError('ERR_NOT_FOUND', `cannot start an sftp server: ${why}`);
  const keygen = (file: string): void => void execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cairn-bench', '-f', file], { stdio: 'ignore' });
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')));
  const hostKeyLine = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  const port = await freePort();
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostKeyLine}\n`);
  const started = join(dir, 'sessions-started');
  const sent = join(dir, 'sessions-sent');
  await writeFile(started, '');
  await writeFile(sent, '');
  const wrapper = join(dir, 'counting-sftp-server');
  // Every session appends a line when it starts and its byte count when it ends; tee copies
  // sftp-server's answers to the client (fd 4) and to wc. Uploads go straight to sftp-server's stdin.
  await writeFile(wrapper, [
    '#!/bin/bash',
    `echo >> ${started}`,
    'exec 4>&1',
    `n=$(${SFTP_SERVER} "$@" | tee /dev/fd/4 | wc -c)`,
    `echo "$n" >> ${sent}`,
    '',
  ].join('\n'));
  await chmod(wrapper, 0o755);
  await writeFile(join(dir, 'sshd_config'), [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    'PidFile none',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'MaxSessions 64',
    'MaxStartups 64',
    `Subsystem sftp ${wrapper}`,
    'LogLevel ERROR',
    '',
  ].join('\n'));
  await mkdir('/run/sshd', { recursive: true });
  const repos = join(dir, 'repos');
  await mkdir(join(repos, 'cairn'), { recursive: true });
  await mkdir(join(repos, 'restic'), { recursive: true });
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  await waitListening(port, child, () => `sshd did not start on 127.0.0.1:${port}: ${stderr}`);
  const user = userInfo().username;
  const key = join(dir, 'client_key');
  /** The total of finished sessions, once every session that started has ended (or after 20 s). */
  const settled = async (): Promise<number> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const starts = (await readFile(started, 'utf8')).split('\n').length;
      const counts = (await readFile(sent, 'utf8')).split('\n');
      if (counts.length >= starts || Date.now() > deadline) return counts.reduce((sum, line) => sum + (Number(line) || 0), 0);
      await sleep(20);
    }
  };
  const ssh = ['ssh', '-F', '/dev/null', '-p', String(port), '-i', key, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `${user}@127.0.0.1`, '-s', 'sftp'].join(' ');
  return {
    kind: 'sftp',
    description: `OpenSSH ${SSHD} -D on 127.0.0.1:${port} (sftp-server)`,
    counting: 'SFTP bytes sftp-server sent to the client, counted by a wrapper on the server (before ssh encryption)',
    cairn: (name) => ({
      repo: `sftp://${user}@127.0.0.1:${port}/${join(repos, 'cairn', name)}`,
      args: [],
      env: { CAIRN_SFTP_KEY: key, CAIRN_SFTP_KNOWN_HOSTS: knownHosts },
    }),
    restic: (name) => ({ repo: `sftp:${user}@127.0.0.1:${join(repos, 'restic', name)}`, args: ['-o', `sftp.command=${ssh}`], env: {}, server: 'the same sshd (restic runs ssh)' }),
    async session<T>(_location: RemoteLocation, body: () => Promise<T>) {
      const before = await settled();
      const value = await body();
      return { value, bytesSent: (await settled()) - before };
    },
    async stop() {
      await kill(child);
    },
  };
}
