/**
 * Who may use the web UI: the token printed with its URL (a cookie once the URL was opened, or
 * `Authorization: Bearer`), the password of --ui-password-file (HTTP Basic, user "cairn") when it
 * listens beyond loopback, and a Host header naming the server (a guard against DNS rebinding).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** A new token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** True when `given` equals `expected`, in time that does not depend on where they differ (both are hashed to the same length first). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** The name of the cookie that holds the token: one per port, so two UIs on one machine do not log each other out. */
export function cookieName(port: number): string {
  return `cairn_ui_${port}`;
}

/** The token the request carries: `Authorization: Bearer T`, else the cookie; undefined when neither. */
export function requestToken(request: IncomingMessage, port: number): string | undefined {
  const auth = request.headers.authorization;
  if (auth !== undefined && /^Bearer /i.test(auth)) return auth.slice(7).trim();
  const name = cookieName(port);
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** True when the request carries HTTP Basic credentials for user "cairn" with `password`. */
export function basicAuthOk(request: IncomingMessage, password: string): boolean {
  const text = request.headers.authorization;
  if (text === undefined || !/^Basic /i.test(text)) return false;
  const decoded = Buffer.from(text.slice(6).trim(), 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  return at >= 0 && sameSecret(decoded.slice(0, at), 'cairn') && sameSecret(decoded.slice(at + 1), password);
}

/** True for an address only this machine reaches: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The Host headers a loopback server answers: its address and port, localhost:port and, for
 * 127.0.0.1, [::1] aside. A page of another site that a DNS trick points at 127.0.0.1 sends its
 * own name and is refused.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const shown = host.includes(':') ? `[${host}]` : host;
  return new Set([`${shown}:${port}`, `localhost:${port}`]);
}
