/** The web UI's HTTP plumbing: JSON answers, API errors, bounded request bodies, query parameters. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isCairnError, nameFromQueryText } from '@cairn/core';
import type { ErrorCode } from '@cairn/core';
import { jsonLine } from '../output.js';

/** An API error: its HTTP status and the `code` the JSON answer names (ERR_PATH, ERR_AUTH, or a CairnError's code). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The HTTP status a CairnError becomes: the user's input (400), missing (404), busy (409), refused (403), else the server's (500). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_USAGE: 400, ERR_AMBIGUOUS: 400, ERR_NOT_FOUND: 404, ERR_LOCKED: 409, ERR_EXISTS: 409, ERR_ABORTED: 409, ERR_PERMISSION: 403, ERR_PASSWORD: 403,
};

/** An error as the API reports it: status, code and a one-line message. */
export function apiErrorOf(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message };
  if (isCairnError(error)) return { status: STATUS[error.code] ?? 500, code: error.code, message: error.message };
  return { status: 500, code: 'ERR_INTERNAL', message: `a bug in cairn: ${error instanceof Error ? error.message : String(error)}` };
}

/** Headers every answer carries: no sniffing, no framing, no referrer. */
export const SAFE_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' } as const;

/** Answers with `value` as JSON (bigints as strings). */
export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = jsonLine(value);
  response.writeHead(status, { ...SAFE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

/** Answers with `{"error":{code,message}}` (or, when the answer has begun, cuts it: a half-sent body must not look whole). */
export function sendError(response: ServerResponse, error: unknown): void {
  const { status, code, message } = apiErrorOf(error);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, status, { error: { code, message: message.split('\n')[0] } });
}

/** The most bytes a request body may have (a restore request is a few paths). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The request's JSON body, an object; 413 beyond MAX_BODY_BYTES, 415 unless it says application/json, 400 when it is not a JSON object. */
export async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const type = request.headers['content-type'] ?? '';
  // A form on another site cannot send application/json without the browser asking first (and we never say yes).
  if (!/^application\/json\b/i.test(type)) throw new ApiError(415, 'ERR_USAGE', `the request body must be application/json, not ${JSON.stringify(type)}`);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ApiError(413, 'ERR_USAGE', `the request body is ${declared} bytes; at most ${MAX_BODY_BYTES} are taken`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'ERR_USAGE', `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new ApiError(400, 'ERR_USAGE', `the request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(400, 'ERR_USAGE', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * A request's query parameters, decoded to the bytes their %-escapes give and then as cairn
 * decodes entry names (nameFromBytes): a name that is not UTF-8 (`caf%E9.txt`) arrives with
 * its raw byte as a lone surrogate, the form the engine keeps it in. URLSearchParams would turn
 * it into U+FFFD, naming no entry.
 */
export class Query {
  private readonly values = new Map<string, string[]>();

  constructor(search: string) {
    for (const part of search.replace(/^\?/, '').split('&')) {
      if (part === '') continue;
      const at = part.indexOf('=');
      const key = nameFromQueryText(at < 0 ? part : part.slice(0, at));
      const value = at < 0 ? '' : nameFromQueryText(part.slice(at + 1));
      const list = this.values.get(key);
      if (list === undefined) this.values.set(key, [value]);
      else list.push(value);
    }
  }

  /** The first value of `name`, or null. */
  get(name: string): string | null {
    return this.values.get(name)?.[0] ?? null;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    return [...(this.values.get(name) ?? [])];
  }
}

/** A query parameter that must be there; 400 naming it otherwise. */
export function required(query: Query, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new ApiError(400, 'ERR_USAGE', `the query parameter "${name}" is missing`);
  return value;
}

/** A whole-number query parameter within [min, max] (`fallback` when absent); 400 naming it otherwise. */
export function integer(query: Query, name: string, fallback: number, min: number, max: number): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new ApiError(400, 'ERR_USAGE', `the query parameter "${name}" wants a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return value;
}

/** A yes/no query parameter: 1/true or 0/false (`fallback` when absent). */
export function flag(query: Query, name: string, fallback = false): boolean {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  if (text === '1' || text === 'true') return true;
  if (text === '0' || text === 'false') return false;
  throw new ApiError(400, 'ERR_USAGE', `the query parameter "${name}" wants 1 or 0, not ${JSON.stringify(text)}`);
}

/** A signal that aborts when the client goes away before its answer was sent: a long search stops instead of running for nobody. */
export function clientGone(response: ServerResponse): AbortSignal {
  const stop = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) stop.abort();
  });
  return stop.signal;
}
