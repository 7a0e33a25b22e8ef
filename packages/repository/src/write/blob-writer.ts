import { idEquals, isCairnError, toHex } from '@cairn/core';
import type { BlobType, CodecName, Id } from '@cairn/core';
import { encodeBlob, encodeDelta } from '@cairn/pack';
import { deltaBases, deltaDepth, MAX_DELTA_DEPTH } from '../repo/delta-chain.js';
import type { EncodedBlob } from '@cairn/pack';
import { createBlobIndex } from '@cairn/index';
import type { IndexPack } from '@cairn/index';
import { createCompressPool } from './compress-pool.js';
import { GROUP_LIMITS } from './compress-task.js';
import type { CompressPool } from './compress-pool.js';
import { checkAdoptedPack } from './adopt-pack.js';
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
  /** Data blobs stored as deltas against the parent's chunk (counted in dataBlobsAdded too). */
  deltaBlobsAdded: number;
  /** Bytes the deltas saved: their plain encodings' length less their own. */
  deltaBytesSaved: number;
  /** Groups of small data blobs written (each one frame). */
  groupsAdded: number;
  /** Data blobs stored in those groups (counted in dataBlobsAdded too). */
  groupedBlobsAdded: number;
  /** Packs taken as they are from another repository (adoptPack; counted in packsAdded too). */
  packsAdopted: number;
}

/**
 * What adoptPack did with a pack: `adopted` (checked, being written, indexed with the next index
 * file); `held`: nothing, its bytes unchecked, as the repository holds one of its blobs already
 * (or a pending pack does), or a delta's base is not in a written pack yet; `listed-otherwise`:
 * nothing, its bytes checked against its name, as its header lists other blobs than the entries.
 */
export type AdoptOutcome = 'adopted' | 'held' | 'listed-otherwise';

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
  /**
   * Store a new data blob that has a base candidate (saveData's `base`) as a delta when that is
   * clearly smaller. Default: the repository config's `deltas`; never without it (an older
   * cairn must refuse a repository holding deltas), nor when the zstd codec cannot (the WASM one).
   */
  readonly deltas?: boolean;
  /**
   * Compress small new data blobs that follow each other in groups sharing one zstd frame
   * (GROUP_LIMITS). Default: the repository config's `groups`; never without it (an older cairn
   * must refuse a repository holding groups), nor without zstd.
   */
  readonly groups?: boolean;
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
   * returns its id once there is room for more (it is stored by `finish` at the latest). `base`
   * is the parent's corresponding chunk: with deltas on, a new blob is then compressed against it
   * (here, once) and stored as a delta when that is clearly smaller. Without `base` no delta work is done.
   */
  saveData(plain: Uint8Array, base?: Id): Promise<Id>;
  /** Stores a blob that is already hashed and encoded. */
  saveEncoded(type: BlobType, id: Id, blob: EncodedBlob): Promise<void>;
  /**
   * Takes a pack file of another repository as it is (a copy between repositories that store
   * bytes alike): when none of `pack.blobs` is held here and every delta's base is in a written
   * pack (or in this one), the bytes are checked (write/adopt-pack.ts: the hash against the name,
   * trailer and header, the header against `pack.blobs`) and written under the same name, and
   * `pack.blobs` become its index entries as they are. ERR_INTEGRITY naming `where` when the bytes
   * do not hash to the name. When adopted, `settled` is called once the write is over (then
   * `bytes` may be reused).
   */
  adoptPack(pack: IndexPack, bytes: Uint8Array, type: BlobType, where: string, settled?: () => void): Promise<AdoptOutcome>;
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
  const stats: WriteStats = { dataBlobsAdded: 0, treeBlobsAdded: 0, bytesAdded: 0, packsAdded: 0, deltaBlobsAdded: 0, deltaBytesSaved: 0, groupsAdded: 0, groupedBlobsAdded: 0, packsAdopted: 0 };
  const deltas = options.deltas !== false && config.deltas === true && codec !== null && zstd.compressWithBase !== undefined;
  const groups = options.groups !== false && config.groups === true && codec !== null;
  const pending = new Set<string>();
  // The blobs of packs taken as they are, by id (no hex id per blob): known from adoptPack on.
  const adopting = createBlobIndex();
  const adopted = new WeakSet<IndexPack>();
  const packs = createPackWriter(backend, {
    packSize: config.packSize,
    checkpointPacks: options.checkpointPacks ?? 16,
    onPack: (pack) => {
      index.addPack(pack.id, pack.blobs);
      if (!adopted.has(pack)) for (const blob of pack.blobs) pending.delete(toHex(blob.id));
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
    ...(groups ? {
      group: {
        limits: GROUP_LIMITS,
        store: async (frame: Uint8Array, groupRaw: number, members: readonly { id: Id; hex: string; at: number; rawLength: number }[]) => {
          for (const member of members) pending.add(member.hex);
          stats.bytesAdded += frame.byteLength;
          stats.dataBlobsAdded += members.length;
          stats.groupsAdded += 1;
          stats.groupedBlobsAdded += members.length;
          await packs.addGroup(frame, groupRaw, members);
        },
      },
    } : {}),
    recycle: true, // the pack builders copy every blob into their own buffer
  });

  /** The hex id of a blob the repository does not hold yet, or null (one index lookup, one hex). */
  const unknownHex = (id: Id): string | null => {
    if (index.has(id) || (adopting.size > 0 && adopting.has(id))) return null;
    const hex = toHex(id);
    return pending.has(hex) ? null : hex;
  };

  /** A new blob's encoding: a delta against `base` when it may be one and is clearly smaller, else its plain encoding. */
  const encodeAgainst = async (plain: Uint8Array, candidate: Id): Promise<EncodedBlob | null> => {
    const encoded = encodeBlob(plain, codec, compression.level, { probe: true });
    // A small blob that is no delta is left to the pool, which may group it (null); a delta is never grouped.
    const whole = groups && plain.length <= GROUP_LIMITS.memberMax ? null : encoded;
    // A candidate that is itself a delta lends its own whole base: chains never grow (each version
    // of a file is a delta against the last whole one), so a restore decodes at most one base per
    // delta and every later version shares it.
    let chain: Id[];
    try {
      chain = deltaBases(index, candidate);
    } catch {
      return whole; // a chain that loops (damage): no delta on it
    }
    const base = chain.length > 0 ? chain[chain.length - 1]! : candidate;
    const location = index.lookup(base);
    if (location === undefined || location.type !== 'data' || deltaDepth(index, base, MAX_DELTA_DEPTH) >= MAX_DELTA_DEPTH) return whole;
    let basePlain: Uint8Array;
    try {
      basePlain = await repo.loadBlob(base, 'data');
    } catch (error) {
      // A damaged base only costs the delta: the blob is stored whole.
      if (isCairnError(error) && error.code !== 'ERR_TRANSIENT' && error.code !== 'ERR_ABORTED') return whole;
      throw error;
    }
    const delta = encodeDelta(plain, basePlain, base, encoded, zstd, compression.level);
    if (delta === null) return whole;
    stats.deltaBlobsAdded += 1;
    stats.deltaBytesSaved += encoded.data.length - delta.data.length;
    return delta;
  };

  return {
    stats,
    has: (id) => index.has(id) || (adopting.size > 0 && adopting.has(id)) || (pending.size > 0 && pending.has(toHex(id))),
    async saveEncoded(type, id, blob) {
      const hex = unknownHex(id);
      if (hex !== null) await add(type, id, hex, blob);
    },
    async adoptPack(pack, bytes, type, where, settled) {
      for (const blob of pack.blobs) {
        if (index.has(blob.id) || (adopting.size > 0 && adopting.has(blob.id)) || (pending.size > 0 && pending.has(toHex(blob.id)))) return 'held';
      }
      // A delta goes in only beside its base, in a pack written before it (so in the same index
      // file or an earlier one, even when the copy stops) or in this one.
      for (const blob of pack.blobs) {
        if (blob.base !== undefined && !index.has(blob.base) && !pack.blobs.some((other) => idEquals(other.id, blob.base!))) return 'held';
      }
      if (!checkAdoptedPack(backend, toHex(pack.id), bytes, pack.blobs, where)) return 'listed-otherwise';
      adopting.addPack(pack.id, pack.blobs);
      adopted.add(pack);
      for (const blob of pack.blobs) {
        stats.bytesAdded += blob.length;
        if (blob.type === 'data') stats.dataBlobsAdded += 1;
        else stats.treeBlobsAdded += 1;
      }
      stats.packsAdopted += 1;
      await packs.adopt(pack, bytes, type, settled);
      return 'adopted';
    },
    async save(type, plain) {
      const id = blobId(plain);
      const hex = unknownHex(id);
      if (hex !== null) await add(type, id, hex, encodeBlob(plain, codec, compression.level, { probe: true }));
      return id;
    },
    async saveData(plain, base) {
      const id = blobId(plain);
      const hex = unknownHex(id);
      if (hex === null) return id;
      pending.add(hex); // a second copy queued before the first is packed is known
      const encoded = base !== undefined && deltas ? await encodeAgainst(plain, base) : null;
      if (encoded !== null) await add('data', id, hex, encoded);
      else await pool.add(id, hex, plain);
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
