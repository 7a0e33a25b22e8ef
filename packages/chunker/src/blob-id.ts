import { createHash } from 'node:crypto';
import type { Id } from '@cairn/core';

/** The id of a blob: the SHA-256 of its plaintext, as 32 raw bytes. */
export function blobId(data: Uint8Array): Id {
  if (!(data instanceof Uint8Array)) throw new TypeError('blobId: data must be a Uint8Array');
  const digest = createHash('sha256').update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
