import { connect as connectTcp } from 'node:net';
import type { Socket } from 'node:net';
import type { Client, SFTPWrapper } from 'ssh2';
import { CairnError, importModule } from '@cairn/core';
import { addKnownHost, fingerprint, keyTypeOf, knownHostName, readKnownHosts } from './known-hosts.js';
import { planAuth } from './sftp-auth.js';
import type { AuthSources } from './sftp-auth.js';
import { translateSftpError } from './sftp-errors.js';
import type { SftpLocation } from './sftp-location.js';

/** How an sftp session connects and how much it does at once. */
export interface SftpSessionOptions {
  readonly location: SftpLocation;
  readonly auth: AuthSources;
  /** True when the key file was named on purpose (CAIRN_SFTP_KEY): then it must exist. */
  readonly keyNamed: boolean;
  readonly knownHostsFiles: readonly string[];
  readonly acceptNewHostKey: boolean;
  /** SFTP channels opened on the one ssh connection (each is its own sftp-server process on OpenSSH). */
  readonly channels: number;
  /** Operations in flight at once, over all channels. */
  readonly maxParallel: number;
  readonly timeoutMs: number;
  /** While operations run, a server silent this long (ms) counts as gone: the connection is dropped and the operations fail with ERR_TRANSIENT. */
  readonly idleTimeoutMs: number;
}

/** One ssh connection to the server, reopened on the next operation after it drops. */
export interface SftpSession {
  /** Runs `operation` on a channel (waiting for a free slot), translating every failure into a CairnError naming `what`. */
  run<T>(what: string, operation: (sftp: SFTPWrapper) => Promise<T>): Promise<T>;
  /** Ends the connection; a later `run` opens a new one. */
  close(): Promise<void>;
}

interface Connection {
  readonly client: Client;
  readonly socket: Socket;
  readonly channels: { readonly sftp: SFTPWrapper; busy: number }[];
  closed: boolean;
  /**
   * Rejects when the connection is lost. ssh2 answers the requests in flight then with "No response
   * from server", but a request sent on a closed channel is never answered: every operation races
   * this, so none waits forever.
   */
  readonly lost: Promise<never>;
  readonly loseWith: (error: Error) => void;
}

/** ssh2's host key algorithms, in its order of preference. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

/**
 * A lazily opened ssh connection with `channels` SFTP channels and at most `maxParallel` operations
 * in flight. The server's key must be in the known_hosts files (or is added to the first one with
 * `acceptNewHostKey`); an unknown or changed key is refused naming the host and the fingerprint. The
 * socket holds the process open only while operations run, and the connection is ended when the
 * process has nothing left to do.
 */
export function createSftpSession(options: SftpSessionOptions): SftpSession {
  const { location } = options;
  const hostPort = knownHostName(location.host, location.port);
  const where = location.display;
  let current: Promise<Connection> | undefined;
  let live: Connection | undefined;
  let active = 0;
  const waiting: (() => void)[] = [];

  const holdProcess = (): void => {
    if (live === undefined || live.closed) return;
    if (active > 0) live.socket.ref();
    else live.socket.unref();
  };

  async function acquire(): Promise<void> {
    if (active < options.maxParallel) {
      active++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  }

  function release(): void {
    const next = waiting.shift();
    if (next !== undefined) next();
    else active--;
  }

  function connection(): Promise<Connection> {
    if (current !== undefined) return current;
    const opening = open().then(
      (conn) => {
        live = conn;
        if (conn.closed) forget(conn);
        return conn;
      },
      (error: unknown) => {
        if (current === opening) current = undefined;
        throw error;
      },
    );
    current = opening;
    return opening;
  }

  /** Forgets a connection that closed, so the next operation opens a new one. */
  function forget(conn: Connection): void {
    conn.closed = true;
    conn.loseWith(new Error('Connection lost'));
    if (live !== conn) return;
    live = undefined;
    current = undefined;
  }

  async function open(): Promise<Connection> {
    const knownHosts = await readKnownHosts(options.knownHostsFiles);
    const plan = await planAuth(location.user, options.auth, where, options.keyNamed);
    const { Client } = (await importModule('ssh2', () => import('ssh2'))).default;
    const socket = await openSocket();
    const client = new Client();
    let refusal: CairnError | undefined;
    const known = knownHosts.keyTypesFor(hostPort).flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]));
    const preferred = known.filter((algorithm) => HOST_KEY_ALGORITHMS.includes(algorithm));
    const hostVerifier = (key: Buffer, verify: (valid: boolean) => void): void => {
      const verdict = knownHosts.verdict(hostPort, key);
      if (verdict.kind === 'known') return verify(true);
      if (verdict.kind === 'unknown' && options.acceptNewHostKey && options.knownHostsFiles[0] !== undefined) {
        addKnownHost(options.knownHostsFiles[0], hostPort, key).then(() => verify(true), (error: unknown) => {
          refusal = new CairnError('ERR_PERMISSION', `cannot add the host key of ${hostPort} to ${options.knownHostsFiles[0]}: ${(error as Error).message}`, { cause: error });
          verify(false);
        });
        return;
      }
      refusal = hostKeyRefusal(verdict, key);
      verify(false);
    };
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error & { level?: string }): void => {
        socket.destroy();
        if (refusal !== undefined) return reject(refusal);
        if (error.level === 'client-authentication') {
          return reject(new CairnError('ERR_PERMISSION', `${where}: the server at ${hostPort} did not let ${location.user} log in (tried ${plan.tried})`, {
            hint: `add your public key (~/.ssh/id_ed25519.pub) to ~${location.user}/.ssh/authorized_keys on ${location.host}, or load the right key into the ssh agent`,
            cause: error,
          }));
        }
        reject(translateSftpError(error, where, `cannot set up the ssh connection to ${hostPort}`));
      };
      client.once('error', failed);
      client.once('ready', () => {
        client.removeListener('error', failed);
        resolve();
      });
      client.connect({
        sock: socket,
        username: location.user,
        authHandler: [...plan.methods],
        hostVerifier,
        readyTimeout: options.timeoutMs,
        keepaliveInterval: 0,
        ...(preferred.length === 0 ? {} : {
          algorithms: { serverHostKey: [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))] as never },
        }),
      });
    });
    let loseWith: (error: Error) => void = () => undefined;
    const lost = new Promise<never>((_, reject) => {
      loseWith = reject;
    });
    lost.catch(() => undefined);
    const conn: Connection = { client, socket, channels: [], closed: false, lost, loseWith };
    client.on('error', () => forget(conn));
    client.on('end', () => forget(conn));
    client.once('close', () => {
      forget(conn);
      openClients.delete(client);
    });
    endOnExit(client);
    watchSilence(conn);
    const opened = await Promise.allSettled(Array.from({ length: options.channels }, () => openChannel(client)));
    for (const result of opened) {
      if (result.status !== 'fulfilled') continue;
      const channel = { sftp: result.value, busy: 0 };
      conn.channels.push(channel);
      const channelGone = (): void => {
        // A channel that closes under us leaves the connection half-working: drop it all and reconnect.
        forget(conn);
        client.end();
      };
      result.value.once('close', channelGone);
      result.value.once('end', channelGone);
    }
    if (conn.channels.length === 0) {
      client.end();
      const first = opened[0];
      throw translateSftpError(first?.status === 'rejected' ? first.reason : new Error('no channel'), where, `cannot start the sftp subsystem on ${hostPort}`);
    }
    return conn;
  }

  /** Drops the connection when operations wait and the server has sent nothing for idleTimeoutMs (a hung server or a dead route). */
  function watchSilence(conn: Connection): void {
    let heard = Date.now();
    conn.socket.on('data', () => {
      heard = Date.now();
    });
    const check = setInterval(() => {
      if (conn.closed) return clearInterval(check);
      const busy = conn.channels.some((channel) => channel.busy > 0);
      if (!busy) heard = Date.now();
      else if (Date.now() - heard > options.idleTimeoutMs) {
        clearInterval(check);
        conn.loseWith(new Error(`Connection lost: the server sent nothing for ${Math.round(options.idleTimeoutMs / 1000)} s`));
        forget(conn);
        conn.socket.destroy();
      }
    }, Math.max(10, Math.min(1000, options.idleTimeoutMs / 4)));
    check.unref();
  }

  function openSocket(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connectTcp({ host: location.host, port: location.port });
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`timed out after ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })), options.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setKeepAlive(true, 10_000);
        // Small requests wait for each other's answers: Nagle's delay would cost ~40 ms on each.
        socket.setNoDelay(true);
        resolve(socket);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(translateSftpError(error, where, `cannot connect to ${location.host} port ${location.port}`));
      });
    });
  }

  function hostKeyRefusal(verdict: ReturnType<Awaited<ReturnType<typeof readKnownHosts>>['verdict']>, key: Buffer): CairnError {
    const print = `${keyTypeOf(key)} key ${fingerprint(key)}`;
    const files = options.knownHostsFiles.join(', ');
    if (verdict.kind === 'changed') {
      return new CairnError('ERR_INTEGRITY', `${where}: the host key of ${hostPort} has CHANGED: the server shows the ${print}, which does not match ${verdict.file} line ${verdict.line}; someone may be intercepting the connection`, {
        hint: `if the server's key was changed on purpose, remove the old one (ssh-keygen -R "${hostPort}") and connect once with ssh to add the new one`,
      });
    }
    if (verdict.kind === 'revoked') {
      return new CairnError('ERR_INTEGRITY', `${where}: the host key of ${hostPort} (${print}) is revoked in ${verdict.file} line ${verdict.line}`);
    }
    return new CairnError('ERR_PERMISSION', `${where}: the host ${hostPort} is unknown: its ${print} is not in ${files || 'any known_hosts file'}`, {
      hint: `check the fingerprint with the server's administrator, then connect once with ssh (ssh -p ${location.port} ${location.user}@${location.host}) to add it, or set CAIRN_SFTP_ACCEPT_NEW_HOST_KEY=yes to add an unknown host's key as ssh's StrictHostKeyChecking=accept-new does`,
    });
  }

  return {
    async run(what, operation) {
      await acquire();
      holdProcess();
      try {
        const conn = await connection();
        const channel = conn.channels.reduce((a, b) => (b.busy < a.busy ? b : a));
        channel.busy++;
        try {
          const running = operation(channel.sftp);
          // When the connection is lost first, what the operation still does fails unheard.
          running.catch(() => undefined);
          return await Promise.race([running, conn.lost]);
        } finally {
          channel.busy--;
        }
      } catch (error) {
        throw translateSftpError(error, where, what);
      } finally {
        release();
        holdProcess();
      }
    },

    async close() {
      const opening = current;
      current = undefined;
      live = undefined;
      const conn = await opening?.catch(() => undefined);
      if (conn === undefined || conn.closed) return;
      await new Promise<void>((resolve) => {
        conn.client.once('close', () => resolve());
        conn.client.end();
      });
    },
  };
}

/** The connections still open; each is ended when the process has nothing else left to do. */
const openClients = new Set<Client>();
let exitHookSet = false;

function endOnExit(client: Client): void {
  openClients.add(client);
  if (exitHookSet) return;
  exitHookSet = true;
  process.on('beforeExit', () => {
    for (const open of openClients) open.end();
    openClients.clear();
  });
}

function openChannel(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp)));
  });
}
