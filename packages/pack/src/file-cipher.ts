import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { CairnError } from '@cairn/core';

/** The AEAD ciphers an encrypted repository may use (chosen at init, named in its config). */
export type CipherName = 'aes-256-gcm' | 'chacha20-poly1305';

/** Every cipher this cairn knows, for messages and flag parsing. */
export const CIPHER_NAMES: readonly CipherName[] = ['aes-256-gcm', 'chacha20-poly1305'];

/** Plaintext bytes per segment of an encrypted file; each segment has its own tag. */
export const SEGMENT_SIZE = 64 * 1024;
const TAG_LENGTH = 16;
const SALT_LENGTH = 24;
const MAGIC = new TextEncoder().encode('CAIRNSE1');
/** Bytes before the first segment of an encrypted file: the magic and the file's random salt. */
export const SEALED_HEADER_LENGTH = MAGIC.length + SALT_LENGTH;
const STORED_SEGMENT = SEGMENT_SIZE + TAG_LENGTH;
const FILE_KEY_INFO = 'cairn file key v1';

/** Stored size of an encrypted file of `plainLength` bytes (the last segment is always shorter than SEGMENT_SIZE, possibly empty). */
export function sealedLength(plainLength: number): number {
  return SEALED_HEADER_LENGTH + plainLength + TAG_LENGTH * (Math.floor(plainLength / SEGMENT_SIZE) + 1);
}

/** Plaintext size of an encrypted file of `storedLength` bytes; null when no encrypted file has that size (it was truncated). */
export function plainLengthOf(storedLength: number): number | null {
  const body = storedLength - SEALED_HEADER_LENGTH;
  if (body < TAG_LENGTH) return null;
  const full = Math.floor(body / STORED_SEGMENT);
  const rest = body - full * STORED_SEGMENT;
  return rest < TAG_LENGTH ? null : full * SEGMENT_SIZE + rest - TAG_LENGTH;
}

/** Where the stored bytes of a plaintext range lie: the segments covering it. */
export interface SealedRange {
  /** First segment covering the range. */
  readonly segment: number;
  /** Stored offset and length of the covering segments. */
  readonly offset: number;
  readonly length: number;
  /** Where the range starts in the plaintext of those segments. */
  readonly skip: number;
}

/** The stored bytes covering `length` plaintext bytes at `offset` of a file of `plainLength` bytes. */
export function sealedRange(offset: number, length: number, plainLength: number): SealedRange {
  if (offset < 0 || length < 0 || offset + length > plainLength) throw new RangeError(`range ${offset}+${length} lies outside ${plainLength} bytes`);
  const first = Math.floor(offset / SEGMENT_SIZE);
  const last = Math.floor((offset + Math.max(length, 1) - 1) / SEGMENT_SIZE);
  const lastSegment = Math.floor(plainLength / SEGMENT_SIZE);
  const end = last >= lastSegment ? sealedLength(plainLength) : SEALED_HEADER_LENGTH + (last + 1) * STORED_SEGMENT;
  const start = SEALED_HEADER_LENGTH + first * STORED_SEGMENT;
  return { segment: first, offset: start, length: end - start, skip: offset - first * SEGMENT_SIZE };
}

/**
 * Encrypts and authenticates whole files as a segmented AEAD stream: a random salt per file gives
 * a file key (HKDF-SHA-256 of the repository's encryption key), each 64 KiB segment is sealed
 * under it with a nonce of its index and a last-segment flag, and `aad` (the file's kind and
 * name) is authenticated with every segment. So nonces never repeat under one key, and a
 * truncated, extended, reordered or renamed file fails to open.
 */
export interface FileCipher {
  readonly name: CipherName;
  /** The encrypted bytes of the concatenation of `parts`. */
  seal(aad: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  /** The same bytes as `seal`, in pieces to be written back to back (no copy into one buffer). */
  sealParts(aad: Uint8Array, parts: readonly Uint8Array[]): Uint8Array[];
  /** The plaintext of a whole encrypted file; ERR_INTEGRITY naming `where` when it does not authenticate. */
  open(aad: Uint8Array, stored: Uint8Array, where: string): Uint8Array;
  /**
   * Decrypts consecutive segments read from `range` (sealedRange) of a file whose first
   * SEALED_HEADER_LENGTH bytes are `header`; returns their plaintext from `range.skip` on. With
   * `into` large enough, the plaintext is written to it (from its start) and the result is a view
   * of it; `stored` may lie in `into` itself, from its start or later (each segment's plaintext is
   * shorter than what it was stored in, so it never overwrites a segment not yet decrypted).
   */
  openSegments(aad: Uint8Array, header: Uint8Array, plainLength: number, range: SealedRange, stored: Uint8Array, where: string, into?: Uint8Array): Uint8Array;
}

/** A FileCipher with the repository's 32-byte encryption key. */
export function createFileCipher(name: CipherName, key: Uint8Array): FileCipher {
  if (!CIPHER_NAMES.includes(name)) throw new TypeError(`unknown cipher ${String(name)}`);
  if (key.length !== 32) throw new RangeError(`an encryption key has 32 bytes, got ${key.length}`);
  const fileKey = (salt: Uint8Array): Buffer => Buffer.from(hkdfSync('sha256', key, salt, FILE_KEY_INFO, 32));
  const nonce = (index: number, last: boolean): Buffer => {
    const n = Buffer.alloc(12);
    n.writeUIntBE(index, 0, 6);
    n[11] = last ? 1 : 0;
    return n;
  };
  const broken = (where: string, why: string): CairnError =>
    new CairnError('ERR_INTEGRITY', `${where} failed authentication (${why}): it was altered, truncated, moved or belongs to another repository`, {
      hint: 'run `cairn check --read-data` to see what is damaged',
    });
  const decryptSegment = (k: Buffer, index: number, last: boolean, aad: Uint8Array, body: Uint8Array, where: string): Buffer => {
    const decipher = createDecipheriv(name as 'aes-256-gcm', k, nonce(index, last), { authTagLength: TAG_LENGTH });
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - TAG_LENGTH));
    const plain = decipher.update(body.subarray(0, body.length - TAG_LENGTH));
    try {
      decipher.final();
    } catch {
      throw broken(where, `segment ${index}`);
    }
    return plain;
  };
  const checkHeader = (header: Uint8Array, where: string): Uint8Array => {
    if (header.length < SEALED_HEADER_LENGTH) {
      throw new CairnError('ERR_INTEGRITY', `${where} is damaged: its ${header.length} bytes are shorter than an encrypted file's header (truncated?)`);
    }
    if (!MAGIC.every((b, i) => header[i] === b)) {
      throw new CairnError('ERR_FORMAT', `${where} is not an encrypted cairn file (its first bytes are not "CAIRNSE1")`);
    }
    return header.subarray(MAGIC.length, SEALED_HEADER_LENGTH);
  };

  return {
    name,
    seal(aad, parts) {
      const sealed = Buffer.concat(this.sealParts(aad, parts));
      return new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    },
    sealParts(aad, parts) {
      let total = 0;
      for (const part of parts) total += part.length;
      const header = Buffer.allocUnsafe(SEALED_HEADER_LENGTH);
      header.set(MAGIC, 0);
      const salt = randomBytes(SALT_LENGTH);
      header.set(salt, MAGIC.length);
      const out: Uint8Array[] = [header];
      const k = fileKey(salt);
      const segments = Math.floor(total / SEGMENT_SIZE) + 1;
      const scratch = Buffer.allocUnsafe(Math.min(SEGMENT_SIZE, total));
      let part = 0;
      let within = 0;
      for (let i = 0; i < segments; i += 1) {
        const length = i < segments - 1 ? SEGMENT_SIZE : total - i * SEGMENT_SIZE;
        // The segment's plaintext: a view when one part holds it, else gathered into scratch.
        let plain: Uint8Array;
        while (part < parts.length && within === parts[part]!.length) {
          part += 1;
          within = 0;
        }
        const current = parts[part];
        if (length === 0 || current === undefined) plain = new Uint8Array(0);
        else if (current.length - within >= length) {
          plain = current.subarray(within, within + length);
          within += length;
        } else {
          let filled = 0;
          while (filled < length) {
            const source = parts[part]!;
            const take = Math.min(length - filled, source.length - within);
            scratch.set(source.subarray(within, within + take), filled);
            filled += take;
            within += take;
            if (within === source.length) {
              part += 1;
              within = 0;
            }
          }
          plain = scratch.subarray(0, length); // consumed by cipher.update before scratch is filled again
        }
        // `as`: node's typings pick the AEAD overload by a literal name; both ciphers take the same options.
        const cipher = createCipheriv(name as 'aes-256-gcm', k, nonce(i, i === segments - 1), { authTagLength: TAG_LENGTH });
        cipher.setAAD(aad);
        out.push(cipher.update(plain));
        const final = cipher.final();
        if (final.length > 0) out.push(final);
        out.push(cipher.getAuthTag());
      }
      return out;
    },
    open(aad, stored, where) {
      const salt = checkHeader(stored, where);
      const plainLength = plainLengthOf(stored.length);
      if (plainLength === null) throw broken(where, `its ${stored.length} bytes are no whole number of segments`);
      const k = fileKey(salt);
      const out = Buffer.allocUnsafe(plainLength);
      const segments = Math.floor(plainLength / SEGMENT_SIZE) + 1;
      let at = SEALED_HEADER_LENGTH;
      for (let i = 0; i < segments; i += 1) {
        const length = i < segments - 1 ? SEGMENT_SIZE : plainLength - i * SEGMENT_SIZE;
        out.set(decryptSegment(k, i, i === segments - 1, aad, stored.subarray(at, at + length + TAG_LENGTH), where), i * SEGMENT_SIZE);
        at += length + TAG_LENGTH;
      }
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
    openSegments(aad, header, plainLength, range, stored, where, into) {
      const k = fileKey(checkHeader(header, where));
      const lastSegment = Math.floor(plainLength / SEGMENT_SIZE);
      const inPlace = into !== undefined && into.length >= stored.length && (stored.buffer !== into.buffer || stored.byteOffset >= into.byteOffset);
      if (inPlace) {
        let written = 0;
        for (let at = 0, i = range.segment; at < stored.length; i += 1) {
          const length = i < lastSegment ? SEGMENT_SIZE : plainLength - i * SEGMENT_SIZE;
          into.set(decryptSegment(k, i, i === lastSegment, aad, stored.subarray(at, at + length + TAG_LENGTH), where), written);
          written += length;
          at += length + TAG_LENGTH;
        }
        return into.subarray(range.skip, written);
      }
      const plain: Buffer[] = [];
      for (let at = 0, i = range.segment; at < stored.length; i += 1) {
        const length = i < lastSegment ? SEGMENT_SIZE : plainLength - i * SEGMENT_SIZE;
        plain.push(decryptSegment(k, i, i === lastSegment, aad, stored.subarray(at, at + length + TAG_LENGTH), where));
        at += length + TAG_LENGTH;
      }
      const all = plain.length === 1 ? plain[0]! : Buffer.concat(plain);
      return new Uint8Array(all.buffer, all.byteOffset + range.skip, all.byteLength - range.skip);
    },
  };
}
