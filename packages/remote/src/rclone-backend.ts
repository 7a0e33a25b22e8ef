import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import type { AgentOptions } from 'node:http';
import { Duplex } from 'node:stream';
import { CairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { createHttpClient } from './http-client.js';
import { createRestBackendOver } from './rest-backend.js';

/** Options of createRcloneBackend. */
export interface RcloneBackendOptions {
  /** The rclone program (default "rclone" on PATH, or $CAIRN_RCLONE_PROGRAM). */
  readonly program?: string;
  /** Extra arguments before the remote, e.g. ["--config", file]. */
  readonly args?: readonly string[];
  /** How many `rclone serve restic --stdio` children (each one HTTP connection) run at once (default 4). */
  readonly connections?: number;
  /** Milliseconds a request may wait for rclone before it is ERR_TRANSIENT (default 300 s). */
  readonly timeoutMs?: number;
}

/** One `rclone serve restic --stdio` child as a connection: HTTP/1.1 written to its stdin, read from its stdout. */
class RcloneConnection extends Duplex {
  readonly stderr: string[] = [];
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess, readonly label: string) {
    super();
    const { stdin, stdout, stderr } = child;
    if (stdin === null || stdout === null || stderr === null) throw new Error('rclone was spawned without pipes');
    stdout.on('data', (chunk: Buffer) => { if (!this.push(chunk)) stdout.pause(); });
    stdout.on('end', () => this.push(null));
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => { this.stderr.push(text); if (this.stderr.length > 50) this.stderr.shift(); });
    stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.on('error', () => resolve());
      child.on('exit', () => resolve());
    });
    child.on('error', (error) => this.destroy(error));
    child.on('exit', () => this.destroy());
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const stdin = this.child.stdin;
    if (stdin === null || stdin.destroyed) return callback(Object.assign(new Error('rclone is gone'), { code: 'EPIPE' }));
    stdin.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin?.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.child.stdin?.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    callback(error);
  }

  // What node:http's agent calls on a socket.
  setKeepAlive(): this { return this; }
  setNoDelay(): this { return this; }
  setTimeout(ms: number, callback?: () => void): this {
    this.timer?.close();
    this.timer = ms > 0 ? setTimeout(() => { this.emit('timeout'); callback?.(); }, ms).unref() : undefined;
    return this;
  }
  private timer: NodeJS.Timeout | undefined;
  /** An idle child must not keep the process alive; a busy one must. */
  ref(): this { this.refs(true); return this; }
  unref(): this { this.refs(false); return this; }
  private refs(on: boolean): void {
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as ({ ref(): void; unref(): void } | null)[]) {
      if (on) handle?.ref(); else handle?.unref();
    }
  }
}

/**
 * A repository on any rclone remote (`remote:path`): spawns `rclone serve restic --stdio
 * remote:path` as restic does and speaks the REST protocol over its stdin/stdout, one request at
 * a time per child, up to `connections` children. rclone's POST overwrites, so the write-once
 * rule is checked by the client (HEAD, then compare) before each upload.
 */
export function createRcloneBackend(spec: string, options: RcloneBackendOptions = {}): Backend {
  if (spec === '' || !spec.includes(':')) {
    throw new CairnError('ERR_USAGE', `rclone: repository "${spec}" names no rclone remote (want rclone:remote:path, e.g. rclone:gdrive:backups or rclone::local:/srv/repo)`);
  }
  const program = options.program ?? process.env['CAIRN_RCLONE_PROGRAM'] ?? 'rclone';
  const args = [...(options.args ?? []), 'serve', 'restic', '--stdio', spec];
  const location = `rclone:${spec}`;
  const connections = new Set<RcloneConnection>();

  class RcloneAgent extends Agent {
    override createConnection(): Duplex {
      const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const connection = new RcloneConnection(child, location);
      connections.add(connection);
      void connection.exited.then(() => connections.delete(connection));
      return connection;
    }
  }
  const max = options.connections ?? 4;
  const agentOptions: AgentOptions = { keepAlive: true, maxSockets: max, maxFreeSockets: max };
  const agent = new RcloneAgent(agentOptions);

  const explain = async (error: unknown, socket: unknown): Promise<CairnError | undefined> => {
    if (!(socket instanceof RcloneConnection)) {
      if ((error as { code?: unknown }).code === 'ENOENT') return missingProgram(program, error);
      return undefined;
    }
    const child = socket.child;
    const gone = await Promise.race([socket.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
    if (!gone) return undefined;
    const spawnError = (error as { code?: unknown; syscall?: unknown });
    if (spawnError.code === 'ENOENT' && String(spawnError.syscall ?? '').startsWith('spawn')) return missingProgram(program, error);
    const said = socket.stderr.join('').trim().split('\n').filter((line) => line.trim() !== '').slice(-3).join(' / ');
    const how = child.signalCode !== null ? `was killed (${child.signalCode})` : `exited with status ${child.exitCode}`;
    const noRemote = /didn't find section in config file|failed to create file system|directory not found|NewFs/i.test(said);
    return new CairnError(noRemote ? 'ERR_NOT_FOUND' : 'ERR_IO', `${location}: rclone serve restic ${how}${said === '' ? '' : `: ${said}`}`, {
      cause: error,
      hint: noRemote ? 'check the remote with `rclone listremotes` and `rclone lsd <remote>:`' : 'run the same command again; `cairn check` shows whether anything was left half-written',
    });
  };

  const client = createHttpClient(new URL('http://rclone/'), { agent, explain, timeoutMs: options.timeoutMs ?? 300_000 });
  return createRestBackendOver({ client, location, writeOnce: 'client' });
}

function missingProgram(program: string, cause: unknown): CairnError {
  return new CairnError('ERR_UNSUPPORTED', `rclone: repositories need the rclone program, and "${program}" is not installed (not found on PATH)`, {
    cause,
    hint: 'install rclone (https://rclone.org/install/, Debian: apt install rclone), or name it with CAIRN_RCLONE_PROGRAM',
  });
}
