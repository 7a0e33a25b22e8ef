import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import { Duplex } from 'node:stream';
import { CairnError, lazyModule } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { checkReply } from './http-client.js';
import type { HttpCall, HttpClient, HttpReply } from './http-client.js';
import { createRestBackendOver } from './rest-backend.js';
import { fromNetworkError } from './rest-protocol.js';

/** node:http2, loaded on first use: 2.7 ms of every command's start otherwise. */
const http2 = lazyModule<typeof import('node:http2')>(import.meta.url, 'node:http2');

/** Options of createRcloneBackend. */
export interface RcloneBackendOptions {
  /** The rclone program (default $CAIRN_RCLONE_PROGRAM, else "rclone" on PATH). */
  readonly program?: string;
  /** Extra arguments before `serve restic`, e.g. ["--config", file]. */
  readonly args?: readonly string[];
  /**
   * How many requests run at once (default 5, as restic's rclone.connections), over one child:
   * HTTP/2 carries them side by side. Every remote upload rclone runs at once may open a
   * connection of its own to the storage (sftp: an SSH login each), so this bounds those too.
   * Measured with rclone 1.60: over one child, 8 requests at a time to the local remote wrote
   * 48 × 2 MiB in 248 ms and read them in 352 ms, no faster with 2 or 4 children (303 + 311,
   * 250 + 269 ms); to an sftp remote 60 small uploads took 529 ms 5 at a time and 2004 ms 20 at
   * a time (each upload rclone runs at once logs in over SSH, and OpenSSH throttles logins).
   */
  readonly connections?: number;
  /** Milliseconds a request may wait for rclone before it is ERR_TRANSIENT (default 300 s). */
  readonly timeoutMs?: number;
}

/** One `rclone serve restic --stdio` child as a byte stream: written to its stdin, read from its stdout. */
class ChildStream extends Duplex {
  readonly stderr: string[] = [];
  readonly exited: Promise<void>;
  spawnError: Error | undefined;

  constructor(readonly child: ChildProcess) {
    super();
    const { stdin, stdout, stderr } = child;
    if (stdin === null || stdout === null || stderr === null) throw new Error('rclone was spawned without pipes');
    stdout.on('data', (chunk: Buffer) => { if (!this.push(chunk)) stdout.pause(); });
    stdout.on('end', () => this.push(null));
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => { this.stderr.push(text); if (this.stderr.length > 50) this.stderr.shift(); });
    stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => { this.spawnError = error; resolve(); });
      child.on('exit', () => resolve());
    });
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

  /** Whether the child keeps the process alive: only while requests run on it. */
  hold(on: boolean): void {
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as ({ ref(): void; unref(): void } | null)[]) {
      if (on) handle?.ref(); else handle?.unref();
    }
  }
}

/** The running child with its HTTP/2 session and how many requests are on it. */
interface Connection {
  readonly stream: ChildStream;
  readonly session: ClientHttp2Session;
  active: number;
}

/**
 * A repository on any rclone remote (`remote:path`): spawns `rclone serve restic --stdio
 * remote:path` as restic does and speaks restic's REST protocol (HTTP/2) over its stdin/stdout.
 * A child that dies is reported with what rclone said, and the next request starts a new one.
 * rclone's POST overwrites, so the write-once rule is checked by the client before each upload.
 */
export function createRcloneBackend(spec: string, options: RcloneBackendOptions = {}): Backend {
  if (!/^[^:]*:/.test(spec)) {
    throw new CairnError('ERR_USAGE', `rclone: repository "${spec}" names no rclone remote (want rclone:remote:path, e.g. rclone:gdrive:backups)`);
  }
  const program = options.program ?? process.env['CAIRN_RCLONE_PROGRAM'] ?? 'rclone';
  const args = [...(options.args ?? []), 'serve', 'restic', '--stdio', spec];
  const location = `rclone:${spec}`;
  const timeout = options.timeoutMs ?? 300_000;
  const limit = Math.max(1, options.connections ?? 5);
  let running = 0;
  const waiting: (() => void)[] = [];
  let current: Connection | undefined;

  /** The running child, or a new one when there is none (the first request, or the last child died). */
  function connection(): Connection {
    const existing = current;
    if (existing !== undefined && !existing.session.closed && !existing.session.destroyed) return existing;
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stream = new ChildStream(child);
    // Packs are large: let the session hold several in flight (its default is 10 MB).
    const session = http2().connect('http://rclone', { createConnection: () => stream, maxSessionMemory: 512 });
    const made: Connection = { stream, session, active: 0 };
    session.on('error', () => undefined);
    void stream.exited.then(() => {
      session.destroy();
      if (current === made) current = undefined;
    });
    stream.hold(false);
    current = made;
    return made;
  }

  async function explain(error: unknown, stream: ChildStream): Promise<CairnError> {
    const gone = await Promise.race([stream.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
    if (stream.spawnError !== undefined && (stream.spawnError as { code?: unknown }).code === 'ENOENT') {
      return new CairnError('ERR_UNSUPPORTED', `${location}: rclone repositories need the rclone program, and "${program}" is not installed (not found on PATH)`, {
        cause: stream.spawnError,
        hint: 'install rclone (Debian: apt install rclone; else https://rclone.org/install/), or name the program with CAIRN_RCLONE_PROGRAM',
      });
    }
    if (!gone) return fromNetworkError(error, `${location}: rclone serve restic`);
    const child = stream.child;
    const said = stream.stderr.join('').split('\n').filter((line) => line.trim() !== '' && !/NOTICE: Config file .* not found/.test(line))
      .slice(-3).map((line) => line.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '')).join(' / ');
    const how = child.signalCode !== null ? `was killed (${child.signalCode})` : `exited with status ${child.exitCode}`;
    const noRemote = /didn't find section in config file|failed to create file system/i.test(said);
    // A missing remote is the location's mistake; a killed child is worth a retry (the next request starts another).
    const code = noRemote ? 'ERR_USAGE' : child.signalCode !== null ? 'ERR_TRANSIENT' : 'ERR_IO';
    return new CairnError(code, `${location}: rclone serve restic ${how}${said === '' ? '' : `: ${said}`}`, {
      cause: error,
      hint: noRemote ? 'check the remote with `rclone listremotes` and `rclone lsd <remote>:`' : 'run the command again; `cairn check` shows whether the repository is consistent',
    });
  }

  const client: HttpClient = {
    async send(call: HttpCall): Promise<HttpReply> {
      if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      running++;
      try {
        return await sendNow(call);
      } finally {
        running--;
        waiting.shift()?.();
      }
    },
  };

  function sendNow(call: HttpCall): Promise<HttpReply> {
    const conn = connection();
    const what = `${call.method} ${location}/${call.path}`;
    const length = call.body?.reduce((sum, piece) => sum + piece.byteLength, 0);
    const headers: Record<string, string> = { ':method': call.method, ':path': `/${call.path}`, ...call.headers };
    if (length !== undefined) headers['content-length'] = String(length);
    if (conn.active++ === 0) conn.stream.hold(true);
    const done = (): void => { if (--conn.active === 0) conn.stream.hold(false); };
    return new Promise<HttpReply>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        void explain(error, conn.stream).then((e) => { done(); reject(e); });
      };
      let request;
      try {
        request = conn.session.request(headers, { endStream: call.body === undefined });
      } catch (error) {
        fail(error);
        return;
      }
      let status = 0;
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      request.on('response', (h) => { status = Number(h[':status']); responseHeaders = h as IncomingHttpHeaders; });
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('error', fail);
      request.on('close', () => {
        if (settled) return;
        if (status === 0 || request.rstCode !== http2().constants.NGHTTP2_NO_ERROR) {
          fail(Object.assign(new Error('the connection to rclone closed before its answer'), { code: 'ECONNRESET' }));
          return;
        }
        settled = true;
        done();
        try {
          resolve(checkReply(what, status, responseHeaders, Buffer.concat(chunks)));
        } catch (error) {
          reject(error);
        }
      });
      request.setTimeout(timeout, () => request.destroy(Object.assign(new Error(`no answer for ${timeout / 1000} s`), { code: 'ETIMEDOUT' })));
      if (call.body !== undefined) {
        const body = request;
        const pieces = call.body.filter((piece) => piece.byteLength > 0);
        const pump = (): void => {
          while (pieces.length > 0) {
            if (!body.write(pieces.shift())) {
              body.once('drain', pump);
              return;
            }
          }
          body.end();
        };
        pump();
      }
    });
  }
  return createRestBackendOver({ client, location, writeOnce: 'client' });
}
