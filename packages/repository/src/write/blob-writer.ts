import { toHex } from '@cairn/core';
import type { BlobType, CodecName, Id } from '@cairn/core';
import { encodeBlob } from '@cairn/pack';
import type { EncodedBlob } from '@cairn/pack';
import { createCompressPool } from './compress-pool.js';
import type { CompressPool } from './compress-pool.js';
import { createPackWriter } from './pack-writer.js';
import type { Repository } from '../repo/repository.js';
import { contentIds } from '../repo/content-ids.js';

/** What a BlobWriter has added to the repository. */
export interface WriteStats {
  dataBlobsAdded: number;
  treeBlobsAdded: number;
  /** Stored (compressed) bytes of the blobs added. */
  bytesAdded: number;
  packsAdded: number;
}

/** How blobs are compressed: the repository's setting unless a backup asks for another. */
export interface BlobCompression {
  readonly codec: CodecName;
  readonly level: number;
}

/** Options of createBlobWriter. */
export interface BlobWriterOptions {
  /** Default: the repository config's compression. */
  readonly compression?: BlobCompression;
  /** Threads compressing data blobs (saveData); 0 compresses in the calling thread. Default: the CPUs. */
  readonly threads?: number;
  /** An index file is written after this many packs, so a crash loses at most that much work. Default 16. */
  readonly checkpointPacks?: number;
}

/**
 * Adds blobs to a repository: skips those it already holds, fills data and tree packs
 * (kept apart so trees load from few packs), writes each pack when it reaches the
 * configured size, writes an index file every few packs (a checkpoint: an interrupted
 * backup leaves its packs indexed and a later one reuses them) and at `finish`.
 */
export interface BlobWriter {
  readonly stats: Readonly<WriteStats>;
  /** True when the repository holds the blob or a pending pack (or the compression queue) does. */
  has(id: Id): boolean;
  /** Hashes, compresses and stores a blob unless it is known; returns its id. */
  save(type: BlobType, plain: Uint8Array): Promise<Id>;
  /**
   * Hashes a data blob and, unless it is known, queues it for compression in the worker pool;
   * returns its id once there is room for more (it is stored by `finish` at the latest).
   */
  saveData(plain: Uint8Array): Promise<Id>;
  /** Stores a blob that is already hashed and encoded. */
  saveEncoded(type: BlobType, id: Id, blob: EncodedBlob): Promise<void>;
  /** Stores everything queued, writes the pending packs and an index file for the packs not yet indexed. */
  finish(): Promise<void>;
  /** Stops early: drops what is queued and writes an index file for the packs already written. */
  abort(): Promise<void>;
}

/** Creates a BlobWriter over an open repository. */
export function createBlobWriter(repo: Repository, options: BlobWriterOptions = {}): BlobWriter {
  const { config, index, backend, zstd } = repo;
  const blobId = contentIds(backend).id;
  const compression = options.compression ?? config.compression;
  const codec = compression.codec === 'zstd' ? zstd : null;
  const stats: WriteStats = { dataBlobsAdded: 0, treeBlobsAdded: 0, bytesAdded: 0, packsAdded: 0 };
  const pending = new Set<string>();
  const packs = createPackWriter(backend, {
    packSize: config.packSize,
    checkpointPacks: options.checkpointPacks ?? 16,
    onPack: (pack) => {
      index.addPack(pack.id, pack.blobs);
      for (const blob of pack.blobs) pending.delete(toHex(blob.id));
      stats.packsAdded += 1;
    },
  });

  /** Adds a blob known to be new (its hex id already computed) to the pack of its type. */
  const add = async (type: BlobType, id: Id, hex: string, blob: EncodedBlob): Promise<void> => {
    pending.add(hex);
    stats.bytesAdded += blob.data.byteLength;
    if (type === 'data') stats.dataBlobsAdded += 1;
    else stats.treeBlobsAdded += 1;
    await packs.add(id, type, blob);
  };

  const pool: CompressPool = createCompressPool({
    ...compression,
    zstd,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    store: (id, hex, blob) => add('data', id, hex, blob),
    recycle: true, // the pack builders copy every blob into their own buffer
  });

  /** The hex id of a blob the repository does not hold yet, or null (one index lookup, one hex). */
  const unknownHex = (id: Id): string | null => {
    if (index.has(id)) return null;
    const hex = toHex(id);
    return pending.has(hex) ? null : hex;
  };

  return {
    stats,
    has: (id) => index.has(id) || pending.has(toHex(id)),
    async saveEncoded(type, id, blob) {
      const hex = unknownHex(id);
      if (hex !== null) await add(type, id, hex, blob);
    },
    async save(type, plain) {
      const id = blobId(plain);
      const hex = unknownHex(id);
      if (hex !== null) await add(type, id, hex, encodeBlob(plain, codec, compression.level, { probe: true }));
      return id;
    },
    async saveData(plain) {
      const id = blobId(plain);
      const hex = unknownHex(id);
      if (hex !== null) {
        pending.add(hex); // a second copy queued before the first is packed is known
        await pool.add(id, hex, plain);
      }
      return id;
    },
    async finish() {
      try {
        await pool.drain();
      } finally {
        await pool.close();
      }
      await packs.finish();
    },
    async abort() {
      await pool.close();
      await packs.abort();
    },
  };
}
