import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import { CairnError, isCairnError, lazyModule } from '@cairn/core';
import type { Backend, ByteRange, FileInfo, FileType } from '@cairn/core';
import { assertFileName, assertFileType, assertRange, isFileName, samePieces, toPieces, totalLength, truncatedError } from '@cairn/transport';
import { createHttpClient } from './http-client.js';
import type { HttpClient, HttpClientOptions, HttpReply } from './http-client.js';
import { APPEND_ONLY_HEADER, filePath, folderPath, LISTING_V2 } from './rest-protocol.js';

/** node:http and node:https, loaded on first use. */
const http = lazyModule<typeof import('node:http')>(import.meta.url, 'node:http');
const https = lazyModule<typeof import('node:https')>(import.meta.url, 'node:https');

/** Options of createRestBackend. */
export interface RestBackendOptions {
  /** Basic-auth user and password (else those in the URL). */
  readonly user?: string;
  readonly password?: string;
  /** At most this many connections at once (default 8). */
  readonly connections?: number;
  /** PEM certificate(s) to trust for https: a private CA or the server's self-signed certificate. */
  readonly ca?: string | Buffer;
  /** Milliseconds a request may wait for the server before it is ERR_TRANSIENT (default 120 s). */
  readonly timeoutMs?: number;
}

/** How the client keeps files write-once: the server refuses other bytes (`cairn serve`), or the client checks first (rclone, whose POST overwrites). */
export type WriteOnce = 'server' | 'client';

/** What createRestBackendOver needs: a client for the repository's base URL and the location to name. */
export interface RestTransport {
  readonly client: HttpClient;
  readonly location: string;
  readonly writeOnce: WriteOnce;
}

/**
 * A repository served over HTTP by `cairn serve` (restic's REST protocol, docs/FORMAT.md):
 * `url` is http(s)://[user:pass@]host:port/path/. Requests share a keep-alive agent with at most
 * `connections` sockets; errors are CairnErrors (network failures and 5xx: ERR_TRANSIENT).
 */
export function createRestBackend(url: string, options: RestBackendOptions = {}): Backend {
  let base: URL;
  try {
    base = new URL(url);
  } catch (error) {
    throw new CairnError('ERR_USAGE', `rest: repository "${url}" is not a URL (want rest:http://host:port/path/)`, { cause: error });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new CairnError('ERR_USAGE', `rest: repository "${url}" is not an http:// or https:// URL`);
  }
  const user = options.user ?? (base.username !== '' ? decodeURIComponent(base.username) : undefined);
  const password = options.password ?? (base.password !== '' ? decodeURIComponent(base.password) : undefined);
  base.username = '';
  base.password = '';
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const agentOptions = { keepAlive: true, maxSockets: options.connections ?? 8, maxFreeSockets: options.connections ?? 8 };
  const agent: Agent = base.protocol === 'https:'
    ? new (https().Agent)({ ...agentOptions, ...(options.ca !== undefined ? { ca: options.ca } : {}) })
    : new (http().Agent)(agentOptions);
  const clientOptions: HttpClientOptions = { agent, ...(user !== undefined ? { user, password: password ?? '' } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) };
  return createRestBackendOver({ client: createHttpClient(base, clientOptions), location: `rest:${base.href}`, writeOnce: 'server' });
}

/** The REST protocol's Backend over a given client (createRestBackend; rclone's `serve restic --stdio`). */
export function createRestBackendOver(transport: RestTransport): Backend {
  const { client, location, writeOnce } = transport;
  const prefix = location.endsWith('/') ? location : `${location}/`;
  const where = (type: FileType, name: string): string => `${prefix}${filePath(type, name)}`;
  const notFound = (type: FileType, name: string): CairnError =>
    new CairnError('ERR_NOT_FOUND', `${where(type, name)}: no such file`);

  async function head(type: FileType, name: string): Promise<number | undefined> {
    const reply = await client.send({ method: 'HEAD', path: filePath(type, name) });
    if (reply.status === 404) return undefined;
    return sizeOf(reply, where(type, name));
  }

  async function get(type: FileType, name: string, range?: ByteRange): Promise<HttpReply> {
    const headers = range === undefined ? undefined : { range: `bytes=${range.offset}-${range.offset + range.length - 1}` };
    const reply = await client.send({ method: 'GET', path: filePath(type, name), ...(headers !== undefined ? { headers } : {}) });
    if (reply.status === 404) throw notFound(type, name);
    return reply;
  }

  async function post(type: FileType, name: string, pieces: readonly Uint8Array[]): Promise<void> {
    const reply = await client.send({ method: 'POST', path: filePath(type, name), body: pieces });
    if (reply.status === 404) throw new CairnError('ERR_NOT_FOUND', `${where(type, name)}: the repository is not there`, { hint: 'create it with `cairn init`' });
  }

  const backend: Backend = {
    location,

    async create() {
      const reply = await client.send({ method: 'POST', path: '?create=true' });
      if (reply.status === 404) throw new CairnError('ERR_NOT_FOUND', `${location}: the server cannot create the repository here`);
    },

    async write(type, name, data) {
      assertFileName(type, name);
      const pieces = toPieces(data);
      try {
        if (writeOnce === 'server') return await post(type, name, pieces);
        // rclone's POST overwrites: keep the write-once rule here (a check, then the upload).
        const size = await head(type, name);
        if (size !== undefined) {
          if (size === totalLength(pieces) && samePieces((await get(type, name)).body, pieces)) return;
          if (!damagedCopy(type, name, pieces)) throw new CairnError('ERR_EXISTS', `${where(type, name)} exists with other content`);
        }
        await post(type, name, pieces);
      } catch (error) {
        throw named(error, where(type, name));
      }
    },

    async read(type, name, range?: ByteRange) {
      assertFileName(type, name);
      if (range !== undefined) assertRange(range);
      const file = where(type, name);
      try {
        if (range === undefined) return new Uint8Array((await get(type, name)).body);
        if (range.length === 0) {
          const size = await head(type, name);
          if (size === undefined) throw notFound(type, name);
          if (range.offset > size) throw truncatedError(file, range, size);
          return new Uint8Array(0);
        }
        const reply = await get(type, name, range);
        const total = totalOf(reply);
        if (reply.status === 416) throw truncatedError(file, range, total ?? (await head(type, name)) ?? 0);
        const body = reply.status === 206 ? reply.body : reply.body.subarray(range.offset, range.offset + range.length);
        if (body.byteLength < range.length) {
          throw truncatedError(file, range, total ?? (reply.status === 206 ? (await head(type, name)) ?? 0 : reply.body.byteLength));
        }
        return new Uint8Array(body.subarray(0, range.length));
      } catch (error) {
        throw named(error, file);
      }
    },

    async stat(type, name): Promise<FileInfo> {
      assertFileName(type, name);
      const size = await head(type, name);
      if (size === undefined) throw notFound(type, name);
      return { name, size };
    },

    async *list(type) {
      assertFileType(type);
      if (type === 'config') {
        const size = await head('config', 'config');
        if (size !== undefined) yield { name: 'config', size };
        return;
      }
      const reply = await client.send({ method: 'GET', path: folderPath(type), headers: { accept: LISTING_V2 } });
      if (reply.status === 404) return;
      let entries: unknown;
      try {
        entries = JSON.parse(reply.body.toString('utf8'));
      } catch (error) {
        throw new CairnError('ERR_FORMAT', `${prefix}${folderPath(type)}: the listing is not JSON`, { cause: error });
      }
      if (!Array.isArray(entries)) throw new CairnError('ERR_FORMAT', `${prefix}${folderPath(type)}: the listing is not a JSON array`);
      for (const entry of entries as unknown[]) {
        const { name, size } = (entry ?? {}) as { name?: unknown; size?: unknown };
        if (typeof name !== 'string' || typeof size !== 'number') {
          throw new CairnError('ERR_FORMAT', `${prefix}${folderPath(type)}: the listing is not restic's v2 format (name and size)`);
        }
        if (isFileName(type, name)) yield { name, size };
      }
    },

    async remove(type, name) {
      assertFileName(type, name);
      try {
        await client.send({ method: 'DELETE', path: filePath(type, name) });
      } catch (error) {
        throw named(error, where(type, name));
      }
    },

    async replaceConfig(data) {
      if (!(data instanceof Uint8Array)) throw new TypeError('replaceConfig wants the config bytes as a Uint8Array');
      // cairn serve takes PUT for the one file that may change; rclone's POST overwrites.
      const method = writeOnce === 'server' ? 'PUT' : 'POST';
      await client.send({ method, path: 'config', body: [data] });
    },

    async appendOnly() {
      const reply = await client.send({ method: 'HEAD', path: 'config' });
      return reply.headers[APPEND_ONLY_HEADER] === '1';
    },
  };
  return backend;
}

/**
 * True when `backend` (or the backend a decorator wraps) refuses deletes: a rest: repository
 * whose server runs append-only (`cairn serve --append-only`). Backend.appendOnly says; others: false.
 */
export async function isAppendOnly(backend: Backend): Promise<boolean> {
  return (await backend.appendOnly?.()) ?? false;
}

/** True when a content-addressed file's new bytes hash to its name but differ from what is stored: the stored copy is a partial upload, to replace. */
function damagedCopy(type: FileType, name: string, pieces: readonly Uint8Array[]): boolean {
  if (type !== 'data' && type !== 'index' && type !== 'snapshot') return false;
  const hash = createHash('sha256');
  for (const piece of pieces) hash.update(piece);
  return hash.digest('hex') === name;
}

function sizeOf(reply: HttpReply, what: string): number {
  const size = Number(reply.headers['content-length']);
  if (!Number.isSafeInteger(size) || size < 0) throw new CairnError('ERR_FORMAT', `${what}: the server gave no size (Content-Length)`);
  return size;
}

/** The file's whole size from a Content-Range header ("bytes 0-9/100", "bytes *\/100"). */
function totalOf(reply: HttpReply): number | undefined {
  const match = /\/(\d+)$/.exec(String(reply.headers['content-range'] ?? ''));
  return match === null ? undefined : Number(match[1]);
}

/** Keeps a CairnError; anything else is ERR_IO naming the file. */
function named(error: unknown, file: string): unknown {
  if (isCairnError(error) || error instanceof TypeError || error instanceof RangeError) return error;
  return new CairnError('ERR_IO', `${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
