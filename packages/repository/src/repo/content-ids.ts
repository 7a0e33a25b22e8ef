import { createHash, createHmac, createSecretKey } from 'node:crypto';
import type { Backend, Id } from '@cairn/core';
import { blobId, keyedBlobId } from '@cairn/chunker';
import type { IncrementalHash } from '@cairn/pack';

/**
 * How a repository names content: blob ids, and the names of pack, index and snapshot files
 * (each the hash of the file's plaintext, so a file verifies itself once read). SHA-256 in an
 * unencrypted repository; HMAC-SHA-256 under the MAC key in an encrypted one, so stored ids
 * reveal nothing of the content.
 */
export interface ContentIds {
  readonly keyed: boolean;
  /** The MAC key of a keyed id function, to hand to a worker thread (contentIdsOf); undefined for SHA-256. */
  readonly macKey?: Uint8Array;
  /** The id of `data`. */
  id(data: Uint8Array): Id;
  /** The same hash, fed in pieces (a pack as it is built). */
  hash(): IncrementalHash;
}

const PLAIN: ContentIds = { keyed: false, id: blobId, hash: () => createHash('sha256') };
const keyed = new WeakMap<Backend, ContentIds>();

/** The one home of the id function: the ids of the repository stored on `backend` (keyed when it is an encrypted backend). */
export function contentIds(backend: Backend): ContentIds {
  return keyed.get(backend) ?? PLAIN;
}

/** Makes `backend` (an encrypted backend) name content with HMAC-SHA-256 under `macKey`. */
export function useKeyedIds(backend: Backend, macKey: Uint8Array): void {
  keyed.set(backend, contentIdsOf(macKey));
}

/** The id function of a repository whose MAC key is `macKey` (undefined: unencrypted, SHA-256), where no backend is at hand. */
export function contentIdsOf(macKey: Uint8Array | undefined): ContentIds {
  if (macKey === undefined) return PLAIN;
  const key = createSecretKey(macKey);
  return { keyed: true, macKey, id: keyedBlobId(macKey), hash: () => createHmac('sha256', key) };
}
