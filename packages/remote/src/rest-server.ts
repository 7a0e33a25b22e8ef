import type { IncomingMessage, ServerResponse } from 'node:http';
import { CairnError, isCairnError } from '@cairn/core';
import type { Backend, FileType } from '@cairn/core';
import { isFileName } from '@cairn/transport';
import { APPEND_ONLY_HEADER, ERROR_HEADER, LISTING_V2, statusOf, typeOfFolder } from './rest-protocol.js';

/** Options of createRestHandler. */
export interface RestServerOptions {
  /** Refuse every delete and overwrite except of lock files (403): clients can add backups, never remove them. */
  readonly appendOnly?: boolean;
  /** Checks a request's Basic credentials; without it every request is served. */
  readonly authenticate?: (user: string, password: string) => Promise<boolean>;
  /** The largest body a POST may carry (default 1 GiB). */
  readonly maxBodyBytes?: number;
  /** Called with each request that failed on the server's side (not for 404 and 409 answers), for the log. */
  readonly onError?: (error: unknown, request: IncomingMessage) => void;
}

/** A refusal of the server, answered with its status and message. */
class Refusal extends Error {
  constructor(readonly status: number, message: string, readonly code?: string, readonly hint?: string) {
    super(message);
  }
}

const APPEND_ONLY_HINT = 'forget, prune and other removals must run against the repository directly, on the machine that holds it (cairn --repo <folder>), not through an append-only server';

/**
 * The HTTP request handler of `cairn serve`: restic's REST protocol (v2 listings, Range reads)
 * over `backend`, with cairn's write-once rule (a POST of an existing name succeeds only with the
 * same bytes, else 409) and an append-only mode. Pass it to http.createServer or https.createServer.
 */
export function createRestHandler(backend: Backend, options: RestServerOptions = {}): (request: IncomingMessage, response: ServerResponse) => void {
  const appendOnly = options.appendOnly === true;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024 * 1024;
  return (request, response) => {
    if (appendOnly) response.setHeader(APPEND_ONLY_HEADER, '1');
    serve(request, response).catch((error: unknown) => {
      request.resume();
      if (error instanceof Refusal) {
        reply(response, error.status, error.message, error.code, error.hint);
        return;
      }
      if (error instanceof TypeError || error instanceof RangeError) {
        reply(response, 400, error.message);
        return;
      }
      const code = isCairnError(error) ? error.code : 'ERR_IO';
      // A missing file or an existing name is an answer, not a failure of the server.
      if (code !== 'ERR_NOT_FOUND' && code !== 'ERR_EXISTS') options.onError?.(error, request);
      reply(response, statusOf(code), error instanceof Error ? error.message : String(error), code);
    });
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (options.authenticate !== undefined && !(await authorized(request, options.authenticate))) {
      response.setHeader('www-authenticate', 'Basic realm="cairn", charset="UTF-8"');
      request.resume();
      throw new Refusal(401, 'wrong or missing user and password');
    }
    const url = new URL(request.url ?? '/', 'http://server');
    const method = request.method ?? 'GET';
    let parts: string[];
    try {
      parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      throw new Refusal(400, `${url.pathname}: not a valid path`);
    }
    if (parts.length === 1 && parts[0] === '') {
      if (method === 'POST' && url.searchParams.get('create') === 'true') {
        request.resume();
        await backend.create();
        return reply(response, 200, '');
      }
      throw new Refusal(405, `${method} / is not part of the protocol (POST /?create=true creates the repository)`);
    }
    if (parts.length === 1 && parts[0] === 'config') return file(request, response, method, 'config', 'config');
    const type = parts.length === 2 ? typeOfFolder(parts[0]!) : undefined;
    if (type === undefined) throw new Refusal(404, `${url.pathname}: no such path in a repository`);
    const name = parts[1]!;
    if (name === '') {
      if (method !== 'GET') throw new Refusal(405, `${method} ${url.pathname}: a folder can only be listed (GET)`);
      return list(request, response, type);
    }
    if (!isFileName(type, name)) throw new Refusal(400, `${url.pathname}: not a valid ${type} file name`);
    return file(request, response, method, type, name);
  }

  async function list(request: IncomingMessage, response: ServerResponse, type: Exclude<FileType, 'config'>): Promise<void> {
    const files: { name: string; size: number }[] = [];
    for await (const file of backend.list(type)) files.push({ name: file.name, size: file.size });
    const v2 = (request.headers.accept ?? '').includes(LISTING_V2);
    const body = JSON.stringify(v2 ? files : files.map((f) => f.name));
    response.writeHead(200, { 'content-type': v2 ? LISTING_V2 : 'application/vnd.x.restic.rest.v1', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  }

  async function file(request: IncomingMessage, response: ServerResponse, method: string, type: FileType, name: string): Promise<void> {
    const label = type === 'config' ? 'config' : `${type}/${name}`;
    switch (method) {
      case 'HEAD': {
        const { size } = await backend.stat(type, name);
        response.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
        response.end();
        return;
      }
      case 'GET':
        return read(request, response, type, name);
      case 'POST': {
        const body = await readBody(request, maxBody);
        try {
          await backend.write(type, name, body);
        } catch (error) {
          if (appendOnly && type !== 'lock' && isCairnError(error, 'ERR_EXISTS')) {
            throw new Refusal(403, `append-only server: refusing to overwrite ${label} with other content`, 'ERR_PERMISSION', APPEND_ONLY_HINT);
          }
          throw error;
        }
        return reply(response, 200, '');
      }
      case 'PUT': {
        if (type !== 'config') throw new Refusal(405, `PUT ${label}: only the config may be replaced`);
        if (appendOnly) {
          request.resume();
          throw new Refusal(403, 'append-only server: refusing to replace the config', 'ERR_PERMISSION', 'change settings (cairn config) against the repository directly, on the machine that holds it');
        }
        if (backend.replaceConfig === undefined) throw new CairnError('ERR_UNSUPPORTED', 'this repository\'s storage cannot replace its config');
        await backend.replaceConfig(await readBody(request, 1024 * 1024));
        return reply(response, 200, '');
      }
      case 'DELETE':
        request.resume();
        if (appendOnly && type !== 'lock') {
          throw new Refusal(403, `append-only server: refusing to delete ${label}`, 'ERR_PERMISSION', APPEND_ONLY_HINT);
        }
        await backend.remove(type, name);
        return reply(response, 200, '');
      default:
        throw new Refusal(405, `${method} is not part of the protocol`);
    }
  }

  async function read(request: IncomingMessage, response: ServerResponse, type: FileType, name: string): Promise<void> {
    const { size } = await backend.stat(type, name);
    const range = parseRange(request.headers.range, size);
    if (range === 'unsatisfiable') {
      response.writeHead(416, { 'content-range': `bytes */${size}` });
      response.end();
      return;
    }
    if (range === undefined) {
      const bytes = await backend.read(type, name);
      response.writeHead(200, { 'content-length': bytes.byteLength, 'accept-ranges': 'bytes' });
      response.end(bytes);
      return;
    }
    const bytes = await backend.read(type, name, range);
    response.writeHead(206, { 'content-length': bytes.byteLength, 'content-range': `bytes ${range.offset}-${range.offset + range.length - 1}/${size}` });
    response.end(bytes);
  }
}

/** A single `bytes=a-b` range clipped to the file (as HTTP does), 'unsatisfiable' past its end, undefined without one. */
function parseRange(header: string | undefined, size: number): { offset: number; length: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (match === null) throw new Refusal(400, `Range "${header}" is not one range of bytes (bytes=first-last)`);
  const first = Number(match[1]);
  const last = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (first >= size || last < first) return 'unsatisfiable';
  return { offset: first, length: last - first + 1 };
}

/** The whole body of a request; a body cut short (the client went away) or over `max` bytes is refused, never stored. */
async function readBody(request: IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = request.headers['content-length'];
  if (declared === undefined) throw new Refusal(411, 'a POST needs a Content-Length');
  const length = Number(declared);
  if (!Number.isSafeInteger(length) || length < 0) throw new Refusal(400, `Content-Length "${declared}" is not a size`);
  if (length > max) throw new Refusal(413, `the body of ${length} bytes is over the limit of ${max}`);
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    got += chunk.byteLength;
  }
  if (got !== length || !request.complete) throw new Refusal(400, `the body ended after ${got} of ${length} bytes`);
  return Buffer.concat(chunks);
}

async function authorized(request: IncomingMessage, authenticate: (user: string, password: string) => Promise<boolean>): Promise<boolean> {
  const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (match === null) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  return authenticate(decoded.slice(0, colon), decoded.slice(colon + 1));
}

function reply(response: ServerResponse, status: number, message: string, code?: string, hint?: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = message === '' ? '' : `${message}\n`;
  const headers: Record<string, string | number> = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  if (code !== undefined) headers[ERROR_HEADER] = code;
  if (hint !== undefined) headers['cairn-hint'] = hint;
  response.writeHead(status, headers);
  response.end(body);
}
