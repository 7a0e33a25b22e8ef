import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';

/** Why a real OpenSSH server cannot run here (no sshd, not root), or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian openssh-server)`;
  if (process.getuid?.() !== 0) return 'sshd needs root to start (its privilege separation)';
  return undefined;
}

/** A real OpenSSH server on 127.0.0.1 that a test started, with its own host key and one client key. */
export interface Sshd {
  readonly port: number;
  /** A temporary folder for repositories, removed with the server. */
  readonly dir: string;
  readonly user: string;
  /** The client's private key file (its public key is the server's only authorized key). */
  readonly clientKey: string;
  /** A known_hosts file holding the server's key as `[127.0.0.1]:port`. */
  readonly knownHosts: string;
  /** The server's public key line (`ssh-ed25519 AAAA…`). */
  readonly hostKeyLine: string;
  /** `sftp://user@127.0.0.1:port/` + `path` (an absolute path gives `//abs`). */
  url(path: string): string;
  /** Kills the server and every session it forked (SIGKILL): connections drop as when a machine dies. */
  kill(): Promise<void>;
  /** Stops (SIGSTOP) the sessions open now, not the listener: they hang as a stuck server does. Returns what resumes them. */
  freezeSessions(): () => void;
  /** Starts the server again on the same port after kill(). */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Starts sshd -D on a free port with a temporary config, host key, client key and known_hosts. */
export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-sshd-'));
  const keygen = (file: string): void => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cairn-test', '-f', file], { stdio: 'ignore' });
  };
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')));
  const hostKeyLine = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  const port = await freePort();
  await writeFile(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKeyLine}\n`);
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
    'MaxSessions 32',
    'MaxStartups 64',
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
    '',
  ].join('\n'));
  await mkdir('/run/sshd', { recursive: true });
  await mkdir(join(dir, 'repos'));

  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sshd did not start on port ${port}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const killAll = async (): Promise<void> => {
    const pid = child?.pid;
    if (pid === undefined || child?.exitCode !== null || child?.signalCode !== null) return;
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    for (const p of [...descendants(pid), pid]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await exited;
  };
  await launch();

  return {
    port,
    dir: join(dir, 'repos'),
    user: userInfo().username,
    clientKey: join(dir, 'client_key'),
    knownHosts: join(dir, 'known_hosts'),
    hostKeyLine,
    url: (path) => `sftp://${userInfo().username}@127.0.0.1:${port}/${path}`,
    kill: killAll,
    freezeSessions() {
      const frozen = child?.pid === undefined ? [] : descendants(child.pid);
      const signal = (name: NodeJS.Signals) => {
        for (const p of frozen) {
          try {
            process.kill(p, name);
          } catch {
            // gone already
          }
        }
      };
      signal('SIGSTOP');
      return () => signal('SIGCONT');
    },
    restart: launch,
    async stop() {
      await killAll();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every process below `pid` (sshd's sessions call setsid, so a process group does not hold them). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const visit = (p: number): void => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      visit(c);
    }
  };
  visit(pid);
  return out;
}

function freePort(): Promise<number> {
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
