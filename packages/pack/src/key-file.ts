import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { CairnError } from '@cairn/core';
import { CIPHER_NAMES } from './file-cipher.js';
import type { CipherName } from './file-cipher.js';

/** The repository's secret keys: one encrypts files, the other keys blob ids and file names (HMAC-SHA-256). */
export interface MasterKey {
  readonly encryption: Uint8Array;
  readonly mac: Uint8Array;
}

/** scrypt's cost parameters, stored in each key file. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** What init writes: N 2^15, r 8, p 1 (32 MiB, about 0.1 s here). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

/** A key file's readable part (everything but the wrapped key). */
export interface KeyFileInfo {
  readonly created: string;
  readonly host: string;
  readonly user: string;
  readonly cipher: CipherName;
  readonly kdf: ScryptParams;
}

const WRAP_AAD = new TextEncoder().encode('cairn master key v1');
const KEYS = ['v', 'created', 'host', 'user', 'kdf', 'cipher', 'nonce', 'data'];

/** A new random master key. */
export function createMasterKey(): MasterKey {
  return { encryption: randomBytes(32), mac: randomBytes(32) };
}

async function deriveKey(password: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, 32, { ...params, maxmem: 128 * params.N * params.r * params.p + 64 * 1024 * 1024 }, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

/** Encodes a key file: `master` wrapped by `cipher` under a key scrypt derives from `password`. */
export async function encodeKeyFile(master: MasterKey, password: string, info: Omit<KeyFileInfo, 'created'> & { created?: string }): Promise<Uint8Array> {
  const salt = randomBytes(32);
  const nonce = randomBytes(12);
  const kek = await deriveKey(password, salt, info.kdf);
  const cipher = createCipheriv(info.cipher as 'aes-256-gcm', kek, nonce, { authTagLength: 16 });
  cipher.setAAD(WRAP_AAD);
  const sealed = Buffer.concat([cipher.update(Buffer.concat([master.encryption, master.mac])), cipher.final(), cipher.getAuthTag()]);
  const file = {
    v: 1,
    created: info.created ?? new Date().toISOString(),
    host: info.host,
    user: info.user,
    kdf: { algorithm: 'scrypt', N: info.kdf.N, r: info.kdf.r, p: info.kdf.p, salt: salt.toString('base64') },
    cipher: info.cipher,
    nonce: nonce.toString('base64'),
    data: sealed.toString('base64'),
  };
  return new TextEncoder().encode(`${JSON.stringify(file, null, 2)}\n`);
}

/** A decoded key file: what it says, and a function that unwraps its key with a password (null: the password does not match). */
export interface KeyFile {
  readonly info: KeyFileInfo;
  unwrap(password: string): Promise<MasterKey | null>;
}

/** Decodes a key file; ERR_FORMAT naming `where` when it is malformed (truncated, say). */
export function decodeKeyFile(bytes: Uint8Array, where: string): KeyFile {
  const bad = (what: string): never => {
    throw new CairnError('ERR_FORMAT', `${where} is not a readable key file: ${what}`, { hint: 'restore it from a copy, or open the repository with another key\'s password' });
  };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return bad('it is not UTF-8 JSON (truncated?)');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('it is not a JSON object');
  const file = value as Record<string, unknown>;
  if (file['v'] !== 1) {
    throw new CairnError('ERR_VERSION', `${where} is a key file of version ${JSON.stringify(file['v'])}; this cairn reads version 1`, { hint: 'upgrade cairn' });
  }
  for (const key of Object.keys(file)) if (!KEYS.includes(key)) bad(`unknown key ${JSON.stringify(key)}`);
  const text = (key: string): string => (typeof file[key] === 'string' ? (file[key] as string) : bad(`${key} is not a string`));
  const bytesOf = (key: string, value: unknown, length?: number): Buffer => {
    const b = typeof value === 'string' ? Buffer.from(value, 'base64') : bad(`${key} is not base64`);
    return length === undefined || b.length === length ? b : bad(`${key} has ${b.length} bytes, expected ${length}`);
  };
  const kdf = file['kdf'];
  if (typeof kdf !== 'object' || kdf === null) return bad('kdf is not an object');
  const k = kdf as Record<string, unknown>;
  if (k['algorithm'] !== 'scrypt') {
    throw new CairnError('ERR_UNSUPPORTED', `${where} uses the key derivation ${JSON.stringify(k['algorithm'])}; this cairn knows scrypt`, { hint: 'upgrade cairn' });
  }
  const int = (key: string, min: number, max: number): number => {
    const n = k[key];
    return Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max ? (n as number) : bad(`kdf.${key} is ${JSON.stringify(n)}, expected an integer from ${min} to ${max}`);
  };
  const N = int('N', 2, 2 ** 22);
  if ((N & (N - 1)) !== 0) bad(`kdf.N is ${N}, expected a power of 2`);
  const params: ScryptParams = { N, r: int('r', 1, 32), p: int('p', 1, 16) };
  const salt = bytesOf('kdf.salt', k['salt']);
  if (salt.length < 16) bad('kdf.salt is shorter than 16 bytes');
  const cipher = text('cipher');
  if (!CIPHER_NAMES.includes(cipher as CipherName)) {
    throw new CairnError('ERR_UNSUPPORTED', `${where} uses the cipher ${JSON.stringify(cipher)}; this cairn knows ${CIPHER_NAMES.join(', ')}`);
  }
  const nonce = bytesOf('nonce', file['nonce'], 12);
  const data = bytesOf('data', file['data'], 64 + 16);
  const info: KeyFileInfo = { created: text('created'), host: text('host'), user: text('user'), cipher: cipher as CipherName, kdf: params };
  return {
    info,
    async unwrap(password) {
      const kek = await deriveKey(password, salt, params);
      const decipher = createDecipheriv(info.cipher as 'aes-256-gcm', kek, nonce, { authTagLength: 16 });
      decipher.setAAD(WRAP_AAD);
      decipher.setAuthTag(data.subarray(64));
      const plain = decipher.update(data.subarray(0, 64));
      try {
        decipher.final();
      } catch {
        return null;
      }
      return { encryption: plain.subarray(0, 32), mac: plain.subarray(32, 64) };
    },
  };
}
