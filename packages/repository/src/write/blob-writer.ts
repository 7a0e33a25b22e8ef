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
import { unpackBlob } from '../repo/blob-check.js';

/** What a BlobWriter has added to the repository. */
export interface WriteStats {
  dataBlobsAdded: number;
  treeBlobsAdded: number;
  /** Stored (compressed) bytes of the blobs added. */
  bytesAdded: number;
  packsAdded: number;
  /** Data blobs stored as deltas against the parent's chunk (counted in dataBlobsAdded too). */
  deltaBlobsAdded: number;
  /** Bytes the deltas saved: their plain encodings' length less their own (the raw length where a delta small enough was kept without a plain encoding to compare). */
  deltaBytesSaved: number;
  /** Groups of small data blobs written (each one frame). */
  groupsAdded: number;
  /** Data blobs stored in those groups (counted in dataBlobsAdded too). */
  groupedBlobsAdded: number;
  /** Packs taken as they are from another repository (adoptPack; counted in packsAdded too). */
  packsAdopted: number;
  /** Deltas held back until their base (a blob of this backup) was in a written pack (counted in deltaBlobsAdded too). */
  deltasHeld: number;
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
  /** True when saveData may store a delta (deltas on, and a codec that can): a backup then looks for bases. */
  readonly deltas: boolean;
  /** True when the repository holds the blob or a pending pack (or the compression queue) does. */
  has(id: Id): boolean;
  /** Hashes, compresses and stores a blob unless it is known; returns its id. */
  save(type: BlobType, plain: Uint8Array): Promise<Id>;
  /**
   * Hashes a data blob and, unless it is known, queues it for compression in the worker pool;
   * returns its id once there is room for more (it is stored by `finish` at the latest). `base`
   * is the parent's corresponding chunk: with deltas on, a new blob is then compressed against it
   * (here, once) and stored as a delta when that is clearly smaller (standing on at most
   * MAX_DELTA_DEPTH deltas). `similar`, a blob of this backup the new one resembles, is tried next,
   * as a delta on a whole blob only (so the blob's own later versions may stand on it). A delta
   * whose base is not in a written pack yet (a blob of this backup) is held back until it is, so
   * its pack file is written after its base's and indexed in the same index file or a later one:
   * no interruption leaves a delta without its base. Without `base` and `similar` no delta work is done.
   */
  saveData(plain: Uint8Array, base?: Id, similar?: Id): Promise<Id>;
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

/** Bytes of deltas held back for their base at most (see saveData): past it their bases are written at once. */
const HELD_BYTES = 64 * 1024 * 1024;

/**
 * Plaintext bytes of recent new data blobs kept as possible delta bases (see saveData). A base
 * the ring no longer holds is decoded from the pack it is in (not written yet, or read back from
 * the repository); one still being compressed waits for the compression queue. With 32 MiB and
 * no such fallback the ring took a third of a 4 GiB file's backup memory; 8 MiB with it stores
 * the typescript release history in the same bytes (benchmarks/BENCHMARKS.md, issue 15).
 */
const RECENT_BYTES = 8 * 1024 * 1024;

/**
 * Data blobs this long or longer are kept (RECENT_BYTES in all) as possible delta bases of blobs
 * that resemble them (saveData's `similar`): a backup looks for resemblance among these only.
 * Shorter ones, most files of a system tree (translation catalogues, pages), are left out: there
 * the search cost the first backup of /usr/share more than its 10% bound (benchmarks/BENCHMARKS.md, issue 16).
 */
export const SIMILAR_MIN = 512 * 1024;

/** Creates a BlobWriter over an open repository. */
export function createBlobWriter(repo: Repository, options: BlobWriterOptions = {}): BlobWriter {
  const { config, index, backend, zstd } = repo;
  const blobId = contentIds(backend).id;
  const compression = options.compression ?? config.compression;
  const codec = compression.codec === 'zstd' ? zstd : null;
  const stats: WriteStats = { dataBlobsAdded: 0, treeBlobsAdded: 0, bytesAdded: 0, packsAdded: 0, deltaBlobsAdded: 0, deltaBytesSaved: 0, groupsAdded: 0, groupedBlobsAdded: 0, packsAdopted: 0, deltasHeld: 0 };
  const deltas = options.deltas !== false && config.deltas === true && codec !== null && zstd.compressWithBase !== undefined;
  const groups = options.groups !== false && config.groups === true && codec !== null;
  const pending = new Set<string>();
  // The plaintext of the latest new data blobs long enough to be a delta's base (RECENT_BYTES in
  // all, oldest dropped first): a base of this backup is read from here first (see deltaOn).
  // One buffer of RECENT_BYTES, taken at the first blob kept and filled in turn (no garbage per
  // blob); `recent` maps a kept blob's hex id to its view there, dropped once overwritten.
  let ring: Uint8Array | null = null;
  let ringAt = 0;
  const recent = new Map<string, Uint8Array>();
  // The base of each delta of this writer not yet in a written pack (by hex id), and the deltas
  // held back until their base is in one, oldest first.
  const pendingBases = new Map<string, Id>();
  const held: { id: Id; hex: string; blob: EncodedBlob }[] = [];
  let heldBytes = 0;
  // The packs written when the held deltas were last looked at (none is ready before another is).
  let heldChecked = -1;
  // The blobs of packs taken as they are, by id (no hex id per blob): known from adoptPack on.
  const adopting = createBlobIndex();
  const adopted = new WeakSet<IndexPack>();
  const packs = createPackWriter(backend, {
    packSize: config.packSize,
    checkpointPacks: options.checkpointPacks ?? 16,
    onPack: (pack) => {
      index.addPack(pack.id, pack.blobs);
      if (!adopted.has(pack)) {
        for (const blob of pack.blobs) {
          const hex = toHex(blob.id);
          pending.delete(hex);
          if (blob.base !== undefined) pendingBases.delete(hex);
        }
      }
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

  /** Keeps the plaintext of a new data blob that may be a delta's base later (a copy: the caller reuses its buffer). */
  const remember = (hex: string, plain: Uint8Array): void => {
    if (plain.length < SIMILAR_MIN || plain.length > RECENT_BYTES) return;
    ring ??= new Uint8Array(RECENT_BYTES);
    if (ringAt + plain.length > ring.length) ringAt = 0;
    const from = ringAt;
    const to = from + plain.length;
    for (const [old, view] of recent) if (view.byteOffset < to && view.byteOffset + view.length > from) recent.delete(old);
    const view = ring.subarray(from, to);
    view.set(plain);
    recent.set(hex, view);
    ringAt = to;
  };

  /** The bases `id` reads through, nearest first ([] for a whole blob), for a blob indexed or of this writer; null for a chain that loops (damage). */
  const chainOf = (id: Id): Id[] | null => {
    const chain: Id[] = [];
    let at = id;
    for (;;) {
      if (index.has(at)) {
        try {
          return [...chain, ...deltaBases(index, at)];
        } catch {
          return null;
        }
      }
      const base = pendingBases.get(toHex(at));
      if (base === undefined) return chain;
      if (chain.length > MAX_DELTA_DEPTH) return null;
      chain.push(base);
      at = base;
    }
  };

  /**
   * The plaintext of a data blob of this writer in a pack not written yet (a copy: the pack's
   * buffer is reused once written), or undefined when no such pack holds it whole or its bytes do
   * not decode to its id. What the ring no longer holds is found here until it is in the index.
   */
  const unwrittenPlain = (id: Id, hex: string): Uint8Array | undefined => {
    const found = packs.unwritten(id);
    if (found === undefined) return undefined;
    try {
      const plain = unpackBlob(found.data, { id, codec: found.blob.codec, rawLength: found.blob.rawLength }, { backend, zstd }, () => `data blob ${hex} in a pack being written`);
      return plain.buffer === found.data.buffer ? plain.slice() : plain;
    } catch {
      return undefined;
    }
  };

  /**
   * A new blob's encoding as a delta against `base` (else against `similar`, as a delta on a
   * whole blob) when it may be one and is clearly smaller; null otherwise (its plain encoding,
   * when it was made to compare, in `encoded.plain`).
   */
  const encodeAgainst = async (plain: Uint8Array, base: Id | undefined, similar: Id | undefined, encoded: { plain?: EncodedBlob }): Promise<EncodedBlob | null> => {
    const plainEncoding = (): EncodedBlob => (encoded.plain ??= encodeBlob(plain, codec, compression.level, { probe: true }));
    const delta = (base === undefined ? null : await deltaOn(plain, plainEncoding, base, MAX_DELTA_DEPTH))
      ?? (similar === undefined || (base !== undefined && idEquals(base, similar)) ? null : await deltaOn(plain, plainEncoding, similar, 1));
    if (delta === null) return null;
    stats.deltaBlobsAdded += 1;
    stats.deltaBytesSaved += Math.max(0, (encoded.plain?.data.length ?? plain.length) - delta.data.length);
    return delta;
  };

  /** `plain` as a delta on `candidate` (or a base under it) standing on at most `maxDepth` deltas, when clearly smaller than its plain encoding; else null. */
  const deltaOn = async (plain: Uint8Array, plainEncoding: () => EncodedBlob, candidate: Id, maxDepth: number): Promise<EncodedBlob | null> => {
    // A candidate as deep as the delta may stand lends the base under it: chains never grow past
    // maxDepth (each later version of a file is a delta against the same base), so a restore
    // decodes at most that many bases per delta and every later version shares them.
    const chain = chainOf(candidate);
    if (chain === null) return null; // a chain that loops (damage): no delta on it
    // [candidate, ...chain][i] stands on chain.length - i deltas: the nearest one below maxDepth.
    const lend = chain.length - maxDepth + 1;
    const base = lend <= 0 ? candidate : chain[lend - 1]!;
    const hex = toHex(base);
    let basePlain = recent.get(hex) ?? unwrittenPlain(base, hex);
    if (basePlain === undefined && pending.has(hex) && !pendingBases.has(hex) && index.lookup(base) === undefined) {
      // Still being compressed (its plaintext went to a compression thread): once the queue is
      // drained it is in a pack, written or not. Rare: the ring holds the latest blobs.
      await pool.drain();
      basePlain = unwrittenPlain(base, hex);
    }
    if (basePlain === undefined) {
      // Not kept: read from the repository, when written.
      const location = index.lookup(base);
      if (location === undefined || location.type !== 'data' || deltaDepth(index, base, maxDepth) >= maxDepth) return null;
      try {
        basePlain = await repo.loadBlob(base, 'data');
      } catch (error) {
        // A damaged base only costs the delta: the blob is stored whole.
        if (isCairnError(error) && error.code !== 'ERR_TRANSIENT' && error.code !== 'ERR_ABORTED') return null;
        throw error;
      }
    }
    return encodeDelta(plain, basePlain, base, plainEncoding, zstd, compression.level);
  };

  /** Stores the held deltas whose base is now in a written pack (in the order they came). */
  const storeReady = async (): Promise<void> => {
    heldChecked = stats.packsAdded;
    // Emptied in place: a new [] would give saveData's checks of held another array map each time.
    const waiting = held.splice(0);
    heldBytes = 0;
    for (const delta of waiting) {
      if (index.has(delta.blob.base!)) {
        await add('data', delta.id, delta.hex, delta.blob);
      } else {
        held.push(delta);
        heldBytes += delta.blob.data.length;
      }
    }
  };

  /**
   * Writes what the held deltas wait for (the compression queue, then the open data pack) and
   * stores them; each round stores those whose base is then written (a delta's base may be a
   * held delta: chains are at most MAX_DELTA_DEPTH deep).
   */
  const writeHeld = async (): Promise<void> => {
    for (let round = 0; held.length > 0; round += 1) {
      if (round > MAX_DELTA_DEPTH) throw new Error(`blob writer: ${held.length} deltas wait for bases never written (first: ${held[0]!.hex})`);
      await pool.drain();
      await packs.flushData();
      await storeReady();
    }
  };

  return {
    stats,
    deltas,
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
    async saveData(plain, base, similar) {
      const id = blobId(plain);
      const hex = unknownHex(id);
      if (hex === null) return id;
      pending.add(hex); // a second copy queued before the first is packed is known
      if (!deltas) {
        await pool.add(id, hex, plain);
        return id;
      }
      if (held.length > 0 && heldChecked !== stats.packsAdded) await storeReady();
      const encoded: { plain?: EncodedBlob } = { plain: undefined };
      const delta = base !== undefined || similar !== undefined ? await encodeAgainst(plain, base, similar, encoded) : null;
      remember(hex, plain);
      if (delta !== null) {
        pendingBases.set(hex, delta.base!);
        if (index.has(delta.base!)) {
          await add('data', id, hex, delta);
        } else {
          held.push({ id, hex, blob: delta });
          heldBytes += delta.data.length;
          stats.deltasHeld += 1;
          // Held deltas are bounded: past HELD_BYTES the queue and the open pack are written now.
          if (heldBytes > HELD_BYTES) await writeHeld();
        }
      } else if (encoded.plain !== undefined && !(groups && plain.length <= GROUP_LIMITS.memberMax)) {
        await add('data', id, hex, encoded.plain);
      } else {
        // A small blob that is no delta is left to the pool, which may group it; a delta is never grouped.
        await pool.add(id, hex, plain);
      }
      return id;
    },
    async finish() {
      try {
        await pool.drain();
        await writeHeld();
      } finally {
        await pool.close();
      }
      await packs.finish();
    },
    async abort() {
      held.length = 0;
      heldBytes = 0;
      await pool.close();
      await packs.abort();
    },
  };
}
