import * as crypto from 'node:crypto';
import type { Id } from '@cairn/core';

type OneShotHash = (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Buffer;
// crypto.hash (Node >= 20.12) skips the Hash object: ~25% faster on small blobs, less garbage.
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

/** The id of a blob: the SHA-256 of its plaintext, as 32 raw bytes. */
export function blobId(data: Uint8Array): Id {
  if (!(data instanceof Uint8Array)) throw new TypeError('blobId: data must be a Uint8Array');
  const digest = oneShot === undefined ? crypto.createHash('sha256').update(data).digest() : oneShot('sha256', data, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
