import { toHex } from '@cairn/core';
import type { BlobType, Id, PackedBlob } from '@cairn/core';
import { blobId } from '@cairn/chunker';
import { encodeIndexFile } from '@cairn/index';
import type { IndexPack } from '@cairn/index';
import { createPackBuilder, encodeBlob } from '@cairn/pack';
import type { EncodedBlob, PackBuilder } from '@cairn/pack';
import type { Repository } from './repository.js';

/** What a BlobWriter has added to the repository. */
export interface WriteStats {
  dataBlobsAdded: number;
  treeBlobsAdded: number;
  /** Stored (compressed) bytes of the blobs added. */
  bytesAdded: number;
  packsAdded: number;
}

/**
 * Adds blobs to a repository: skips those it already holds, fills data and tree packs
 * (kept apart so trees load from few packs), writes each pack when it reaches the
 * configured size, and at `finish` writes one index file naming every new pack.
 */
export interface BlobWriter {
  readonly stats: Readonly<WriteStats>;
  /** True when the repository holds the blob or a pending pack does. */
  has(id: Id): boolean;
  /** Hashes, compresses and stores a blob unless it is known; returns its id. */
  save(type: BlobType, plain: Uint8Array): Promise<Id>;
  /** Stores a blob that is already hashed and encoded (the worker-pool path). */
  saveEncoded(type: BlobType, id: Id, blob: EncodedBlob): Promise<void>;
  /** Writes the pending packs and the index file for all packs written. */
  finish(): Promise<void>;
}

/** Creates a BlobWriter over an open repository. */
export function createBlobWriter(repo: Repository): BlobWriter {
  const { config, index, backend, zstd } = repo;
  const codec = config.compression.codec === 'zstd' ? zstd : null;
  const stats: WriteStats = { dataBlobsAdded: 0, treeBlobsAdded: 0, bytesAdded: 0, packsAdded: 0 };
  const builders: Record<BlobType, PackBuilder> = { data: createPackBuilder(), tree: createPackBuilder() };
  const pending = new Set<string>();
  const written: IndexPack[] = [];

  const flush = async (type: BlobType): Promise<void> => {
    const builder = builders[type];
    if (builder.count === 0) return;
    builders[type] = createPackBuilder();
    const pack = builder.finish();
    await backend.write('data', toHex(pack.id), pack.parts);
    const blobs: PackedBlob[] = [...pack.blobs];
    index.addPack(pack.id, blobs);
    for (const blob of blobs) pending.delete(toHex(blob.id));
    written.push({ id: pack.id, blobs });
    stats.packsAdded += 1;
  };

  const has = (id: Id): boolean => index.has(id) || pending.has(toHex(id));

  /** Adds a blob known to be new (its hex id already computed) to the pack of its type. */
  const add = async (type: BlobType, id: Id, hex: string, blob: EncodedBlob): Promise<void> => {
    pending.add(hex);
    builders[type].add(id, type, blob);
    stats.bytesAdded += blob.data.byteLength;
    if (type === 'data') stats.dataBlobsAdded += 1;
    else stats.treeBlobsAdded += 1;
    if (builders[type].size >= config.packSize) await flush(type);
  };

  /** The hex id of a blob the repository does not hold yet, or null (one index lookup, one hex). */
  const unknownHex = (id: Id): string | null => {
    if (index.has(id)) return null;
    const hex = toHex(id);
    return pending.has(hex) ? null : hex;
  };

  return {
    stats,
    has,
    async saveEncoded(type, id, blob) {
      const hex = unknownHex(id);
      if (hex !== null) await add(type, id, hex, blob);
    },
    async save(type, plain) {
      const id = blobId(plain);
      const hex = unknownHex(id);
      if (hex !== null) await add(type, id, hex, encodeBlob(plain, codec, config.compression.level));
      return id;
    },
    async finish() {
      await flush('data');
      await flush('tree');
      if (written.length === 0) return;
      const bytes = encodeIndexFile(written);
      await backend.write('index', toHex(blobId(bytes)), bytes);
      written.length = 0;
    },
  };
}
