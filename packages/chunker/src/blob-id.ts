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

/** The id of a blob in an encrypted repository: HMAC-SHA-256 of its plaintext under the repository's MAC key. */
export function keyedBlobId(macKey: Uint8Array): (data: Uint8Array) => Id {
  if (!(macKey instanceof Uint8Array) || macKey.length !== 32) throw new TypeError('keyedBlobId: the key must be 32 bytes');
  const key = crypto.createSecretKey(macKey);
  return (data) => {
    if (!(data instanceof Uint8Array)) throw new TypeError('blobId: data must be a Uint8Array');
    const digest = crypto.createHmac('sha256', key).update(data).digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  };
}
