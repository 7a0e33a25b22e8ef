import type { Agent, IncomingHttpHeaders } from 'node:http';
import { CairnError, lazyModule } from '@cairn/core';
import { codeOfStatus, ERROR_HEADER, fromNetworkError } from './rest-protocol.js';

/** node:http and node:https, loaded on first use (with node:http2, 4 ms of every command's start otherwise). */
const http = lazyModule<typeof import('node:http')>(import.meta.url, 'node:http');
const https = lazyModule<typeof import('node:https')>(import.meta.url, 'node:https');

/** An HTTP response with its whole body. */
export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request of the REST protocol. */
export interface HttpCall {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** Below the base URL, without a leading "/". */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: readonly Uint8Array[];
}

/** Sends requests to one base URL through one agent (its keep-alive connections, at most its maxSockets). */
export interface HttpClient {
  send(call: HttpCall): Promise<HttpReply>;
}

/** Options of createHttpClient. */
export interface HttpClientOptions {
  readonly agent: Agent;
  /** Basic authentication. */
  readonly user?: string;
  readonly password?: string;
  /** Milliseconds a connection may stay silent during a request before it is ERR_TRANSIENT (default 120 s). */
  readonly timeoutMs?: number;
  /** Turns a failure of the connection into the error to report (rclone: the child's own message). */
  readonly explain?: (error: unknown, socket: unknown) => Promise<CairnError | undefined>;
}

/** An HttpClient for `base` (http: or https:, ending with "/"). */
export function createHttpClient(base: URL, options: HttpClientOptions): HttpClient {
  const request = base.protocol === 'https:' ? https().request : http().request;
  const auth = options.user !== undefined
    ? `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`
    : undefined;
  const timeout = options.timeoutMs ?? 120_000;
  return {
    send(call) {
      const url = new URL(call.path, base);
      const what = `${call.method} ${url.origin}${url.pathname}`;
      const length = call.body?.reduce((sum, piece) => sum + piece.byteLength, 0);
      const headers: Record<string, string> = { ...call.headers };
      if (auth !== undefined) headers['authorization'] = auth;
      if (length !== undefined) {
        headers['content-length'] = String(length);
        headers['content-type'] = 'application/octet-stream';
      }
      return new Promise<HttpReply>((resolve, reject) => {
        let socket: unknown;
        const fail = (error: unknown): void => {
          const explained = options.explain?.(error, socket) ?? Promise.resolve(undefined);
          void explained.then((e) => reject(e ?? fromNetworkError(error, what)), () => reject(fromNetworkError(error, what)));
        };
        const req = request(url, { method: call.method, agent: options.agent, headers, timeout }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('aborted', () => fail(Object.assign(new Error('the connection closed before the response was complete'), { code: 'ECONNRESET' })));
          res.on('end', () => {
            try {
              resolve(checkReply(what, res.statusCode ?? 0, res.headers, Buffer.concat(chunks)));
            } catch (error) {
              reject(error);
            }
          });
        });
        req.on('socket', (s) => { socket = s; });
        req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer for ${timeout / 1000} s`), { code: 'ETIMEDOUT' })));
        req.on('error', fail);
        for (const piece of call.body ?? []) if (piece.byteLength > 0) req.write(piece);
        req.end();
      });
    },
  };
}

/**
 * The reply of a request, or the CairnError its status means: 2xx, 404 and 416 are the caller's
 * to read; others carry the server's message (and, from cairn serve, its code and hint).
 */
export function checkReply(what: string, status: number, headers: IncomingHttpHeaders, body: Buffer): HttpReply {
  if (status >= 200 && status < 300 || status === 404 || status === 416) return { status, headers, body };
  const header = headers[ERROR_HEADER];
  const text = body.toString('utf8').trim().slice(0, 500);
  const code = codeOfStatus(status, typeof header === 'string' ? header : undefined);
  const hint = status === 401 ? 'give the user and password in the URL (rest:http://user:pass@host:port/) or CAIRN_REST_USER / CAIRN_REST_PASSWORD'
    : typeof headers['cairn-hint'] === 'string' ? headers['cairn-hint'] : undefined;
  return throwError(new CairnError(code, `${what}: ${status} ${http().STATUS_CODES[status] ?? ''}${text === '' ? '' : `: ${text}`}`.replace(/ +:/, ':'), { hint }));
}

function throwError(error: Error): never {
  throw error;
}
