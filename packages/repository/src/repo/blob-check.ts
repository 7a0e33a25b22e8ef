import { CairnError, idEquals, isCairnError, toHex } from '@cairn/core';
import type { Backend, CodecName, Id } from '@cairn/core';
import { contentIds, contentIdsOf } from './content-ids.js';
import type { ContentIds } from './content-ids.js';
import { decodeBlob, decodeGroup } from '@cairn/pack';
import { memberBytes } from './blob-group.js';
import type { ZstdCodec } from '@cairn/pack';

/** What decoding a stored blob needs to know of it. */
export interface StoredBlob {
  readonly id: Id;
  readonly codec: CodecName;
  readonly rawLength: number;
  /** A group member's place in its group's plaintext, and that plaintext's length (codec 'group'). */
  readonly groupAt?: number;
  readonly groupRaw?: number;
}

/**
 * The plaintext of a blob's stored bytes, checked against its id: every read of blob data
 * (loadBlob, restore, check --read-data, prune's repack, grep's workers) goes through here.
 * ERR_INTEGRITY naming `where` when it does not decode or does not hash to its id; `where` may be
 * a function, called only then (a search of many small blobs builds no name for each). Given
 * `into` (rawLength bytes), the plaintext is decoded into it and checked there. A delta blob
 * (codec 'delta') needs `base`, the plaintext of its base blob (see repo/delta-chain.ts). A group
 * member (codec 'group') is given its group's frame as `stored` (decoded here, whole) or, as
 * `group`, its group's plaintext already decoded (a reader of many members decodes it once).
 */
export function unpackBlob(stored: Uint8Array, blob: StoredBlob, codecs: BlobCodecs | BlobVerifier, where: string | (() => string), into?: Uint8Array, base?: Uint8Array, group?: Uint8Array): Uint8Array {
  let plain: Uint8Array;
  if (blob.codec === 'group') {
    const name = typeof where === 'string' ? where : where();
    const whole = group ?? decodeGroup(stored, blob.groupRaw ?? 0, codecs.zstd, name);
    plain = memberBytes(whole, blob, name);
    if (into !== undefined) {
      into.set(plain);
      plain = into;
    }
  } else if (typeof where === 'string') {
    plain = decodeBlob(stored, blob.codec, blob.rawLength, codecs.zstd, where, into, base);
  } else {
    try {
      plain = decodeBlob(stored, blob.codec, blob.rawLength, codecs.zstd, '', into, base);
    } catch (error) {
      // decodeBlob's messages start with `${where}: `; with an empty where, the name goes before the colon.
      if (!isCairnError(error)) throw error;
      throw new CairnError(error.code, `${where()}${error.message}`, { cause: error.cause, ...(error.hint === undefined ? {} : { hint: error.hint }) });
    }
  }
  const ids = 'ids' in codecs ? codecs.ids : contentIds(codecs.backend);
  if (!idEquals(ids.id(plain), blob.id)) {
    throw new CairnError('ERR_INTEGRITY', `${typeof where === 'string' ? where : where()} is damaged: its content does not match its id`);
  }
  return plain;
}

/** What checking a blob needs: the codec, and the storage whose ids it uses (keyed when encrypted). */
export interface BlobCodecs {
  readonly backend: Backend;
  readonly zstd: ZstdCodec;
}

/** The same where no backend is at hand (a worker thread): the codec and the repository's id function itself. */
export interface BlobVerifier {
  readonly zstd: ZstdCodec;
  readonly ids: Pick<ContentIds, 'id'>;
}

/** Throws ERR_INTEGRITY unless `data` hashes to `name` (pack, index and snapshot files are named by their hash). */
export function checkContentName(backend: Backend, data: Uint8Array, name: string, where: string): void {
  const actual = toHex(contentIds(backend).id(data));
  if (actual !== name) {
    throw new CairnError('ERR_INTEGRITY', `${where} is damaged: its content hashes to ${actual}`);
  }
}

let verifier: { zstd: ZstdCodec; macKey: Uint8Array | undefined; codecs: BlobVerifier } | null = null;

/** The codec and id function blobs are checked with in a worker thread, made once per thread while the repository's key stays the same. */
export function verifierOf(zstd: ZstdCodec, macKey: Uint8Array | undefined): BlobVerifier {
  const same = verifier !== null && verifier.zstd === zstd
    && (verifier.macKey === macKey || (verifier.macKey !== undefined && macKey !== undefined && Buffer.compare(verifier.macKey, macKey) === 0));
  if (!same) verifier = { zstd, macKey, codecs: { zstd, ids: contentIdsOf(macKey) } };
  return verifier!.codecs;
}
