import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFileCipher, createMasterKey, decodeKeyFile, encodeKeyFile, plainLengthOf, SEALED_HEADER_LENGTH, sealedLength, sealedRange, SEGMENT_SIZE } from '../src/index.js';
import type { CipherName } from '../src/index.js';

const aad = new TextEncoder().encode('data/abc');
const FAST = { N: 1024, r: 8, p: 1 };

describe.each<CipherName>(['aes-256-gcm', 'chacha20-poly1305'])('encrypted files (%s)', (name) => {
  const cipher = createFileCipher(name, randomBytes(32));

  it('round-trips every size around segment boundaries, from parts, with sizes that map both ways', () => {
    for (const size of [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE + 17]) {
      const plain = randomBytes(size);
      const parts = [plain.subarray(0, Math.floor(size / 3)), plain.subarray(Math.floor(size / 3), size - 5), plain.subarray(Math.max(0, size - 5))];
      const stored = cipher.seal(aad, parts);
      expect(stored.length).toBe(sealedLength(size));
      expect(plainLengthOf(stored.length)).toBe(size);
      expect(Buffer.from(cipher.open(aad, stored, 'f'))).toEqual(plain);
      // The same plaintext never encrypts to the same bytes (a random salt per file).
      expect(Buffer.from(cipher.seal(aad, [plain])).equals(Buffer.from(stored))).toBe(false);
    }
  });

  it('decrypts a range from the segments that cover it alone', () => {
    const plain = randomBytes(5 * SEGMENT_SIZE + 100);
    const stored = cipher.seal(aad, [plain]);
    for (const [offset, length] of [[0, 1], [SEGMENT_SIZE - 3, 10], [2 * SEGMENT_SIZE, SEGMENT_SIZE], [5 * SEGMENT_SIZE + 50, 50], [0, plain.length]] as const) {
      const range = sealedRange(offset, length, plain.length);
      const got = cipher.openSegments(aad, stored.subarray(0, SEALED_HEADER_LENGTH), plain.length, range, stored.subarray(range.offset, range.offset + range.length), 'f');
      expect(Buffer.from(got.subarray(0, length))).toEqual(plain.subarray(offset, offset + length));
    }
  });

  it('decrypts a range into the reader\'s buffer, in the place it was read into: the same plaintext, a view of that buffer', () => {
    const plain = randomBytes(5 * SEGMENT_SIZE + 100);
    const stored = cipher.seal(aad, [plain]);
    const header = stored.subarray(0, SEALED_HEADER_LENGTH);
    for (const [offset, length] of [[0, 1], [SEGMENT_SIZE - 3, 10], [2 * SEGMENT_SIZE, SEGMENT_SIZE], [5 * SEGMENT_SIZE + 50, 50], [0, plain.length], [100, 4 * SEGMENT_SIZE]] as const) {
      const range = sealedRange(offset, length, plain.length);
      const sealed = stored.subarray(range.offset, range.offset + range.length);
      // Read into the buffer (at its start, as a backend does), decrypted over itself.
      const into = new Uint8Array(range.length + 7);
      into.set(sealed);
      const got = cipher.openSegments(aad, header, plain.length, range, into.subarray(0, range.length), 'f', into);
      expect(got.buffer).toBe(into.buffer);
      expect(Buffer.from(got.subarray(0, length))).toEqual(plain.subarray(offset, offset + length));
      // Read elsewhere: decrypted into the buffer all the same.
      const other = new Uint8Array(range.length);
      const apart = cipher.openSegments(aad, header, plain.length, range, sealed, 'f', other);
      expect(apart.buffer).toBe(other.buffer);
      expect(Buffer.from(apart.subarray(0, length))).toEqual(plain.subarray(offset, offset + length));
      // Too small, or the stored bytes lying before it in the same memory (they would be overwritten before they are read): a buffer of its own.
      const small = new Uint8Array(range.length - 1);
      expect(cipher.openSegments(aad, header, plain.length, range, sealed, 'f', small).buffer).not.toBe(small.buffer);
      const shared = new Uint8Array(range.length + 16);
      shared.set(sealed);
      const behind = cipher.openSegments(aad, header, plain.length, range, shared.subarray(0, range.length), 'f', shared.subarray(16));
      expect(behind.buffer).not.toBe(shared.buffer);
      expect(Buffer.from(behind.subarray(0, length))).toEqual(plain.subarray(offset, offset + length));
    }
    // A flipped byte still fails, in place.
    const range = sealedRange(0, plain.length, plain.length);
    const into = new Uint8Array(stored.subarray(range.offset, range.offset + range.length));
    into[SEGMENT_SIZE + 40]! ^= 1;
    expect(() => cipher.openSegments(aad, header, plain.length, range, into, 'data/abc', into)).toThrow(/data\/abc failed authentication \(segment 1\)/);
  });

  it('detects a flipped byte, a truncation at a segment boundary, swapped segments, another name and another key', () => {
    const plain = randomBytes(3 * SEGMENT_SIZE + 10);
    const stored = cipher.seal(aad, [plain]);
    const flipped = new Uint8Array(stored);
    flipped[SEALED_HEADER_LENGTH + SEGMENT_SIZE + 40]! ^= 1;
    expect(() => cipher.open(aad, flipped, 'data/abc')).toThrow(/data\/abc failed authentication \(segment 1\)/);
    // Cut after two whole segments: the size is valid, but the last segment left was not sealed as the last.
    const cut = stored.subarray(0, SEALED_HEADER_LENGTH + 2 * (SEGMENT_SIZE + 16) + 16);
    expect(() => cipher.open(aad, cut, 'f')).toThrow(/failed authentication/);
    expect(() => cipher.open(aad, stored.subarray(0, stored.length - 1), 'f')).toThrow(/failed authentication/);
    const seg = SEGMENT_SIZE + 16;
    const swapped = new Uint8Array(stored);
    swapped.set(stored.subarray(SEALED_HEADER_LENGTH, SEALED_HEADER_LENGTH + seg), SEALED_HEADER_LENGTH + seg);
    swapped.set(stored.subarray(SEALED_HEADER_LENGTH + seg, SEALED_HEADER_LENGTH + 2 * seg), SEALED_HEADER_LENGTH);
    expect(() => cipher.open(aad, swapped, 'f')).toThrow(/segment 0/);
    expect(() => cipher.open(new TextEncoder().encode('data/abd'), stored, 'f')).toThrow(/failed authentication/);
    expect(() => createFileCipher(name, randomBytes(32)).open(aad, stored, 'f')).toThrow(/failed authentication/);
  });

  it('wraps the master key in a key file that only the password opens, and refuses a truncated one', async () => {
    const master = createMasterKey();
    const bytes = await encodeKeyFile(master, 'correct horse', { cipher: name, kdf: FAST, host: 'h', user: 'u' });
    const file = decodeKeyFile(bytes, 'key/x');
    expect(file.info).toMatchObject({ cipher: name, kdf: FAST, host: 'h', user: 'u' });
    const opened = await file.unwrap('correct horse');
    expect(Buffer.from(opened!.encryption)).toEqual(Buffer.from(master.encryption));
    expect(Buffer.from(opened!.mac)).toEqual(Buffer.from(master.mac));
    expect(await file.unwrap('wrong')).toBeNull();
    expect(() => decodeKeyFile(bytes.subarray(0, bytes.length - 20), 'key/x')).toThrow(/key\/x is not a readable key file/);
  });
});
