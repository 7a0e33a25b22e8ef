import { toHex } from '@cairn/core';
import type { BlobType, CodecName, Id, PackedBlob } from '@cairn/core';
import { blobId } from '@cairn/chunker';
import { encodeIndexFile } from '@cairn/index';
import type { IndexPack } from '@cairn/index';
import { createPackBuilder, encodeBlob } from '@cairn/pack';
import type { EncodedBlob, PackBuilder } from '@cairn/pack';
import { createCompressPool } from './compress-pool.js';
import type { CompressPool } from './compress-pool.js';
import type { Repository } from '../repo/repository.js';

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
  const compression = options.compression ?? config.compression;
  const codec = compression.codec === 'zstd' ? zstd : null;
  const checkpointPacks = options.checkpointPacks ?? 16;
  const stats: WriteStats = { dataBlobsAdded: 0, treeBlobsAdded: 0, bytesAdded: 0, packsAdded: 0 };
  // Pack buffers are reused once their pack is written, so a long backup makes no garbage of them.
  const spare: Uint8Array[] = [];
  const newBuilder = (): PackBuilder => createPackBuilder({ storage: spare.pop() ?? new Uint8Array(config.packSize + 1024 * 1024) });
  const builders: Record<BlobType, PackBuilder> = { data: newBuilder(), tree: newBuilder() };
  const pending = new Set<string>();
  let unindexed: IndexPack[] = [];
  const packWrites = new Set<Promise<void>>();

  const writeIndex = async (): Promise<void> => {
    if (unindexed.length === 0) return;
    const packs = unindexed;
    unindexed = [];
    const bytes = encodeIndexFile(packs);
    await backend.write('index', toHex(blobId(bytes)), bytes);
  };

  const flush = async (type: BlobType): Promise<void> => {
    const builder = builders[type];
    if (builder.count === 0) return;
    builders[type] = newBuilder();
    const pack = builder.finish();
    await backend.write('data', toHex(pack.id), pack.parts);
    const storage = pack.parts[0];
    if (storage !== undefined && spare.length < 1 && storage.byteOffset === 0) spare.push(new Uint8Array(storage.buffer));
    const blobs: PackedBlob[] = [...pack.blobs];
    index.addPack(pack.id, blobs);
    for (const blob of blobs) pending.delete(toHex(blob.id));
    unindexed.push({ id: pack.id, blobs });
    stats.packsAdded += 1;
    if (unindexed.length >= checkpointPacks) await writeIndex();
  };

  /** Adds a blob known to be new (its hex id already computed) to the pack of its type. */
  const add = async (type: BlobType, id: Id, hex: string, blob: EncodedBlob): Promise<void> => {
    pending.add(hex);
    builders[type].add(id, type, blob);
    stats.bytesAdded += blob.data.byteLength;
    if (type === 'data') stats.dataBlobsAdded += 1;
    else stats.treeBlobsAdded += 1;
    if (builders[type].size >= config.packSize) {
      const write = flush(type);
      packWrites.add(write);
      try {
        await write;
      } finally {
        packWrites.delete(write);
      }
    }
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
      await flush('data');
      await flush('tree');
      await writeIndex();
    },
    async abort() {
      await pool.close();
      await Promise.allSettled([...packWrites]);
      await writeIndex();
    },
  };
}
