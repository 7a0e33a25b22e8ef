import { CairnError, idEquals, toHex } from '@cairn/core';
import type { Backend, CodecName, Id } from '@cairn/core';
import { contentIds } from './content-ids.js';
import { decodeBlob } from '@cairn/pack';
import type { ZstdCodec } from '@cairn/pack';

/** What decoding a stored blob needs to know of it. */
export interface StoredBlob {
  readonly id: Id;
  readonly codec: CodecName;
  readonly rawLength: number;
}

/**
 * The plaintext of a blob's stored bytes, checked against its id: every read of blob data
 * (loadBlob, restore, check --read-data, prune's repack) goes through here. ERR_INTEGRITY
 * naming `where` when it does not decode or does not hash to its id.
 */
export function unpackBlob(stored: Uint8Array, blob: StoredBlob, repo: BlobCodecs, where: string): Uint8Array {
  const plain = decodeBlob(stored, blob.codec, blob.rawLength, repo.zstd, where);
  if (!idEquals(contentIds(repo.backend).id(plain), blob.id)) {
    throw new CairnError('ERR_INTEGRITY', `${where} is damaged: its content does not match its id`);
  }
  return plain;
}

/** What checking a blob needs: the codec, and the storage whose ids it uses (keyed when encrypted). */
export interface BlobCodecs {
  readonly backend: Backend;
  readonly zstd: ZstdCodec;
}

/** Throws ERR_INTEGRITY unless `data` hashes to `name` (pack, index and snapshot files are named by their hash). */
export function checkContentName(backend: Backend, data: Uint8Array, name: string, where: string): void {
  const actual = toHex(contentIds(backend).id(data));
  if (actual !== name) {
    throw new CairnError('ERR_INTEGRITY', `${where} is damaged: its content hashes to ${actual}`);
  }
}
