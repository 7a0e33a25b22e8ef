import { createHash, timingSafeEqual } from 'node:crypto';
import { CairnError, lazyModule } from '@cairn/core';

/** bcryptjs, loaded when a bcrypt hash is first checked. */
const bcrypt = lazyModule<typeof import('bcryptjs')>(import.meta.url, 'bcryptjs');

/** Checks a user's password against an htpasswd file's entries. */
export type PasswordCheck = (user: string, password: string) => Promise<boolean>;

/**
 * Reads the text of an Apache htpasswd file (`user:hash` lines) into a password check. Hashes:
 * bcrypt ($2y$, $2a$, $2b$: `htpasswd -B`) and {SHA} (`htpasswd -s`). Any other kind (MD5's $apr1$,
 * crypt, plain text) is ERR_USAGE naming the file and line. `file` names the file in messages.
 */
export function parseHtpasswd(text: string, file: string): PasswordCheck {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || hash === '') throw new CairnError('ERR_USAGE', `${file}:${i + 1}: not a "user:hash" line of an htpasswd file`);
    if (!/^\$2[aby]\$\d\d\$/.test(hash) && !hash.startsWith('{SHA}')) {
      throw new CairnError('ERR_USAGE', `${file}:${i + 1}: the password of "${user}" is hashed in a way cairn does not read`, {
        hint: 'use bcrypt (htpasswd -B) or SHA-1 (htpasswd -s)',
      });
    }
    users.set(user, hash);
  });
  if (users.size === 0) throw new CairnError('ERR_USAGE', `${file} holds no users`, { hint: 'add one with `htpasswd -B <file> <user>`' });
  // bcrypt is slow on purpose (tens of ms a check) and a backup makes hundreds of requests: a
  // password that passed is remembered (as its SHA-256) for a few minutes, as rest-server does.
  const passed = new Map<string, { digest: Buffer; until: number }>();
  return async (user, password) => {
    const hash = users.get(user);
    if (hash === undefined) return false;
    const digest = createHash('sha256').update(password, 'utf8').digest();
    const remembered = passed.get(user);
    if (remembered !== undefined && remembered.until > Date.now() && timingSafeEqual(remembered.digest, digest)) return true;
    const ok = await verify(hash, password);
    if (ok) passed.set(user, { digest, until: Date.now() + CACHE_MS });
    return ok;
  };
}

/** How long a password that passed is taken without checking its hash again. */
const CACHE_MS = 5 * 60 * 1000;

async function verify(hash: string, password: string): Promise<boolean> {
  if (hash.startsWith('{SHA}')) {
    const want = Buffer.from(hash.slice(5), 'base64');
    const got = createHash('sha1').update(password, 'utf8').digest();
    return want.byteLength === got.byteLength && timingSafeEqual(want, got);
  }
  // bcryptjs reads $2y$ (PHP's name for the same hash) once it is spelled $2b$.
  return bcrypt().compare(password, hash.replace(/^\$2y\$/, '$2b$'));
}
