import { execFileSync, fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError } from '@cairn/core';

/** The kinds of server the remote bench starts on 127.0.0.1. */
export type RemoteKind = 'rest' | 'sftp' | 's3';

/** Every remote kind, in the default order. */
export const REMOTE_KINDS: readonly RemoteKind[] = ['rest', 'sftp', 's3'];

/** Where one tool's repository is on a server, and what the tool needs to reach it. */
export interface RemoteLocation {
  /** The repository location (`-r`). */
  readonly repo: string;
  /** Extra arguments before the command (restic's `-o sftp.command=…`). */
  readonly args: readonly string[];
  /** Extra environment (keys, known_hosts). */
  readonly env: Readonly<Record<string, string>>;
  /** The folder a `cairn serve` started for each session serves (rest only). */
  readonly served?: string;
}

/** A server one run uses for every repetition: cairn's repositories and, where it can, restic's. */
export interface RemoteServer {
  readonly kind: RemoteKind;
  /** What serves, for the report: "cairn serve", "OpenSSH sshd -D (sftp-server)". */
  readonly description: string;
  /** How `bytesSent` counts, for the report. */
  readonly counting: string;
  /** A new repository `name` for cairn on this server. */
  cairn(name: string): RemoteLocation;
  /** A new repository `name` for restic on a server of the same kind, and what serves it. */
  restic(name: string): RemoteLocation & { readonly server: string };
  /** Why restic does not run against this kind, when it does not. */
  readonly resticLeftOut?: string;
  /**
   * Runs `body`, a command against `location`, with the server up (for `cairn serve`: a server
   * started for it, stopped after it) and returns the bytes the server sent to clients meanwhile,
   * counted on the server side; undefined where they are not counted (restic's REST server).
   */
  session<T>(location: RemoteLocation, body: () => Promise<T>): Promise<{ value: T; bytesSent: number | undefined }>;
  stop(): Promise<void>;
}

/** Starts the server of `kind` with its files under `dir`. */
export async function startRemoteServer(kind: RemoteKind, dir: string, cairnCli: string): Promise<RemoteServer> {
  await mkdir(dir, { recursive: true });
  return kind === 'rest' ? startRest(dir, cairnCli) : kind === 'sftp' ? startSftp(dir) : startS3(dir);
}

/**
 * `cairn serve` over folders of `dir`: one process per session (the bench reads its --json stop
 * summary, whose `bytesSent` counts what it wrote to client connections), always on the same port.
 * restic's repositories go to `rclone serve restic`, a server of restic's REST protocol, on another port.
 */
async function startRest(dir: string, cairnCli: string): Promise<RemoteServer> {
  const port = await freePort();
  const resticPort = await freePort();
  const resticRoot = join(dir, 'restic');
  await mkdir(resticRoot, { recursive: true });
  const rclone = spawn('rclone', ['serve', 'restic', resticRoot, '--addr', `127.0.0.1:${resticPort}`, '--config', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let rcloneErr = '';
  rclone.stderr?.on('data', (d: Buffer) => (rcloneErr = (rcloneErr + d.toString()).slice(-2000)));
  rclone.on('error', (error) => (rcloneErr += error.message));
  await waitListening(resticPort, rclone, () => `rclone serve restic did not start: ${rcloneErr}`);
  // One cairn serve serves one folder: the repositories are folders of `dir/cairn`, served one at a time at the same port.
  return {
    kind: 'rest',
    description: 'cairn serve (a folder on the same disk as the local run)',
    counting: "cairn serve's bytesSent (bytes it wrote to client connections, headers included)",
    cairn: (name) => ({ repo: `rest:http://127.0.0.1:${port}/`, args: [], env: {}, served: join(dir, 'cairn', name) }),
    restic: (name) => ({ repo: `rest:http://127.0.0.1:${resticPort}/${name}/`, args: [], env: {}, server: 'rclone serve restic (restic\'s REST protocol)' }),
    async session<T>(location: RemoteLocation, body: () => Promise<T>) {
      if (location.served === undefined) return { value: await body(), bytesSent: undefined };
      const serve = await startServe(cairnCli, location.served, port);
      let value: T;
      try {
        value = await body();
      } catch (error) {
        await serve.stop().catch(() => 0);
        throw error;
      }
      return { value, bytesSent: await serve.stop() };
    },
    async stop() {
      await kill(rclone);
    },
  };
}

/** One `cairn serve --json` process; stop() ends it with SIGTERM and returns its bytesSent. */
async function startServe(cairnCli: string, folder: string, port: number): Promise<{ stop(): Promise<number> }> {
  await mkdir(folder, { recursive: true });
  const child = spawn(process.execPath, [cairnCli, '--repo', folder, '--json', 'serve', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const deadline = Date.now() + 20_000;
  while (!stdout.includes('"listening"')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new CairnError('ERR_IO', `cairn serve did not start on 127.0.0.1:${port}: ${stderr.trim()}`);
    }
    await sleep(20);
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      const summary = stdout.trim().split('\n').map((line) => JSON.parse(line) as { type?: string; bytesSent?: unknown }).find((m) => m.type === 'summary');
      if (code !== 0 || typeof summary?.bytesSent !== 'number') {
        throw new CairnError('ERR_IO', `cairn serve ended with code ${String(code)} and no bytesSent in its summary (a cairn without the counter?): ${stderr.trim()}`);
      }
      return summary.bytesSent;
    },
  };
}

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
async function startSftp(dir: string): Promise<RemoteServer> {
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

/**
 * s3rver (an S3-compatible server from npm, objects in files) in its own process, one bucket for
 * cairn's and restic's repositories (each under its own prefix); the process counts what it
 * wrote to client connections.
 */
async function startS3(dir: string): Promise<RemoteServer> {
  const main = join(dirname(fileURLToPath(import.meta.url)), 's3-server-main.js');
  const child = fork(main, [dir], { execArgv: ['--openssl-legacy-provider'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const next = <T>(): Promise<T> => new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new CairnError('ERR_IO', `the S3 server (s3rver) exited (${String(code)}): ${stderr.trim()}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
  const { port } = await next<{ port: number }>();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  const bytes = async (): Promise<number> => {
    const answer = next<{ bytes: number }>();
    child.send('bytes');
    return (await answer).bytes;
  };
  return {
    kind: 's3',
    description: `s3rver ${endpoint} (npm; objects in files on the same disk)`,
    counting: 'bytes s3rver wrote to client connections (headers included)',
    cairn: (name) => ({ repo: `s3:${endpoint}/bench/cairn-${name}`, args: [], env }),
    restic: (name) => ({ repo: `s3:${endpoint}/bench/restic-${name}`, args: [], env, server: 'the same s3rver' }),
    // restic 0.14's init works, its first backup fails: "Fatal: Unmarshal: invalid character 'b' after top-level value".
    resticLeftOut: 'restic cannot back up to s3rver (its first backup fails reading what the server answers)',
    async session<T>(_location: RemoteLocation, body: () => Promise<T>) {
      const before = await bytes();
      const value = await body();
      return { value, bytesSent: (await bytes()) - before };
    },
    async stop() {
      await kill(child);
    },
  };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function waitListening(port: number, child: ChildProcess, why: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new CairnError('ERR_IO', why());
    }
    await sleep(50);
  }
}

/** A port of 127.0.0.1 that nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
