import { toHex } from '@cairn/core';
import type { Backend, BlobType, FileWriter, Id, PackedBlob } from '@cairn/core';
import type { IndexPack } from '@cairn/index';
import { createPackBuilder } from '@cairn/pack';
import type { EncodedBlob, GroupMember, PackBuilder } from '@cairn/pack';
import { writeIndexFile } from '../repo/index-files.js';
import { contentIds } from '../repo/content-ids.js';
import { createWorkInFlight } from '../repo/worker-pool.js';

/** The first buffer of a tree pack (it doubles as trees arrive, up to the pack size). */
const TREE_PACK_START = 1024 * 1024;

/**
 * A data pack written as it is built (Backend.createWriter) goes out in parts of this size: one
 * filling while the one before is appended. A blob larger than a part gets a buffer of its own.
 */
const STREAM_PART = 2 * 1024 * 1024;

/** Spare parts kept for the next ones (the open pack's and the one being finished). */
const SPARE_PARTS = 4;

/** A data pack being written as it is built: its file, and its parts handed to it and not yet written. */
interface Streamed {
  readonly writer: FileWriter;
  /** Parts appended or waiting to be, in order: each its offset in the pack (read by `unwritten` until written) and when it is written. */
  readonly sending: { readonly at: number; readonly bytes: Uint8Array; readonly written: Promise<void> }[];
  /** Settles once every part handed over is appended; rejects with the first failure. */
  tail: Promise<void>;
}

/** Options of createPackWriter. */
export interface PackWriterOptions {
  /**
   * A pack is written once it holds this many bytes (the repository config's packSize), or at
   * half of it when the next blob would not fit its buffer of packSize + 1 MiB.
   */
  readonly packSize: number;
  /** An index file is written after this many packs (a checkpoint); by default only at `finish`. */
  readonly checkpointPacks?: number;
  /** Called with each pack once its file is written, before it is in an index file. */
  readonly onPack?: (pack: IndexPack) => void;
  /**
   * Pack files written at once (default 2): `add` returns while fewer are being written, so the
   * next pack fills while one uploads or syncs; a failed write fails the next `add` or `finish`.
   * A new pack's buffer is taken only while fewer are being written, so at most this many data
   * pack buffers are held.
   */
  readonly parallelWrites?: number;
}

/**
 * The one place cairn builds pack files: collects encoded blobs into packs (data and trees
 * apart, so trees load from few packs, and tree packs are marked so for a local cache), writes each pack once it reaches the pack size
 * (`parallelWrites` at once, so a remote upload or a disk's sync overlaps the next pack), and
 * writes an index file for the packs written, always after them: at every checkpoint, at
 * `finish` and at `abort`. Backups, prune's repacking and repair's new trees all write through it.
 */
export interface PackWriter {
  /** Adds a blob (its bytes are copied); writes the pack of its type once it reaches the pack size. */
  add(id: Id, type: BlobType, blob: EncodedBlob): Promise<void>;
  /** Adds a group of small data blobs, one zstd frame of `groupRaw` plaintext bytes (copied), as PackBuilder.addGroup. */
  addGroup(frame: Uint8Array, groupRaw: number, members: readonly GroupMember[]): Promise<void>;
  /**
   * Writes the open data pack now and waits for every pack file being written: each blob added
   * before is then in a written pack (onPack called), so a blob added after lands in a later pack
   * file and the same index file or a later one.
   */
  flushData(): Promise<void>;
  /** Writes the packs not yet written and an index file for those not yet indexed. */
  finish(): Promise<void>;
  /** Waits for the pack files being written and writes an index file for those not yet indexed; drops the open packs. */
  abort(): Promise<void>;
  /**
   * Writes a finished pack taken as it is from another repository (write/adopt-pack.ts checked
   * it): under its name, beside the packs this writer builds, and into the next index file with
   * `pack.blobs` as its entries, as a pack built here would be. `settled` is called once the
   * write is over (done or failed): `bytes` may then be reused.
   */
  adopt(pack: IndexPack, bytes: Uint8Array, type: BlobType, settled?: () => void): Promise<void>;
  /**
   * A data blob in a pack not written yet (the open one, or one being written) and stored whole,
   * with a view of its stored bytes, valid until the next await (the pack's buffer is reused once
   * written); undefined otherwise. Once the pack is written the blob is in the index (onPack).
   */
  unwritten(id: Id): { readonly blob: PackedBlob; readonly data: Uint8Array } | undefined;
  /** Bytes of the pack files written so far. */
  readonly bytesWritten: number;
  /** Pack files written so far. */
  readonly packsWritten: number;
}

/** Creates a PackWriter over `backend`. */
export function createPackWriter(backend: Backend, options: PackWriterOptions): PackWriter {
  const { packSize, onPack } = options;
  const ids = contentIds(backend);
  const checkpointPacks = options.checkpointPacks ?? Number.POSITIVE_INFINITY;
  // Data pack buffers are reused once their pack is written, so a long backup makes no garbage
  // of them; a tree pack's buffer starts small and grows (most backups write a few MiB of trees).
  const fullSize = packSize + 1024 * 1024;
  const spare: Uint8Array[] = [];
  const newBuilder = (type: BlobType): PackBuilder =>
    createPackBuilder({ storage: type === 'tree' ? new Uint8Array(Math.min(fullSize, TREE_PACK_START)) : spare.pop() ?? new Uint8Array(fullSize), hash: ids.hash });

  // Data packs written as they are built, when the backend can (a local folder that is not
  // encrypted): a writer holds a few parts of each, not a buffer of the whole pack.
  const streams = new Map<PackBuilder, Streamed>();
  const spareParts: Uint8Array[] = [];
  const takePart = (): Uint8Array => spareParts.pop() ?? new Uint8Array(STREAM_PART);
  const givePart = (bytes: Uint8Array): void => {
    if (bytes.byteOffset === 0 && bytes.buffer.byteLength === STREAM_PART && spareParts.length < SPARE_PARTS) spareParts.push(new Uint8Array(bytes.buffer));
  };
  /** The open data pack being made by its backend's writer (set as builders.data once it is open). */
  let opening: Promise<void> | null = null;
  const openStreamed = async (createWriter: NonNullable<Backend['createWriter']>): Promise<void> => {
    const writer = await createWriter.call(backend, 'data');
    const stream: Streamed = { writer, sending: [], tail: Promise.resolve() };
    // A spilled blob is read from the part still being appended, else back from the file.
    const readSpilled = (offset: number, length: number): Uint8Array | undefined => {
      for (const part of stream.sending) {
        if (offset >= part.at && offset + length <= part.at + part.bytes.length) return part.bytes.subarray(offset - part.at, offset - part.at + length);
      }
      try {
        return writer.readBack(offset, length);
      } catch {
        return undefined;
      }
    };
    const builder = createPackBuilder({ storage: takePart(), hash: ids.hash, readSpilled });
    streams.set(builder, stream);
    builders.data = builder;
  };
  /** Hands what the streamed pack holds beyond its last part to its writer, after the parts before it. */
  const send = (builder: PackBuilder, stream: Streamed): void => {
    const at = builder.spilled;
    const bytes = builder.spill(takePart());
    const written = stream.tail.then(async () => {
      await stream.writer.append(bytes);
      stream.sending.shift();
      givePart(bytes);
    });
    written.catch(() => undefined); // awaited by a later add, or by the pack's flush
    stream.sending.push({ at, bytes, written });
    stream.tail = written;
  };
  /** Finishes the streamed pack's file: the parts handed over, then the rest, header and trailer, named by its hash. */
  const finishStreamed = async (stream: Streamed, parts: readonly Uint8Array[], name: string): Promise<void> => {
    try {
      await stream.tail;
      for (const part of parts) if (part.length > 0) await stream.writer.append(part);
      await stream.writer.finish(name);
    } catch (error) {
      await stream.writer.abort();
      throw error;
    }
  };
  /** The open pack of each type, started by its first blob (so `finish` allocates no buffer). */
  const builders: Record<BlobType, PackBuilder | null> = { data: null, tree: null };
  let unindexed: IndexPack[] = [];
  const parallelWrites = options.parallelWrites ?? 2;
  if (!Number.isInteger(parallelWrites) || parallelWrites < 1) throw new RangeError(`parallelWrites must be a whole number >= 1, not ${parallelWrites}`);
  // Each pack being written counts 1: at most parallelWrites at once.
  const packWrites = createWorkInFlight();
  let bytesWritten = 0;
  let packsWritten = 0;

  const writeIndex = async (): Promise<void> => {
    if (unindexed.length === 0) return;
    const packs = unindexed;
    unindexed = [];
    await writeIndexFile(backend, packs);
  };

  /** The data packs being written, until their blobs are in the index (see unwritten). */
  const writing = new Set<PackBuilder>();

  const flush = async (type: BlobType): Promise<void> => {
    const builder = builders[type];
    if (builder === null || builder.count === 0) return;
    builders[type] = null;
    const pack = builder.finish();
    const stream = streams.get(builder);
    if (type === 'data') writing.add(builder);
    try {
      if (stream === undefined) await backend.write('data', toHex(pack.id), pack.parts, type === 'tree' ? { treePack: true } : undefined);
      else await finishStreamed(stream, pack.parts, toHex(pack.id));
    } finally {
      writing.delete(builder);
      streams.delete(builder);
    }
    const storage = pack.parts[0];
    if (stream !== undefined && storage !== undefined) givePart(storage);
    else if (type === 'data' && storage !== undefined && spare.length < 1 && storage.byteOffset === 0 && storage.buffer.byteLength === fullSize) spare.push(new Uint8Array(storage.buffer));
    const indexed: IndexPack = { id: pack.id, blobs: [...pack.blobs] };
    onPack?.(indexed);
    unindexed.push(indexed);
    bytesWritten += pack.size;
    packsWritten += 1;
    if (unindexed.length >= checkpointPacks) await writeIndex();
  };

  /** Writes a pack adopted as it is; indexed as a built one is. */
  const writeAdopted = async (pack: IndexPack, bytes: Uint8Array, type: BlobType): Promise<void> => {
    await backend.write('data', toHex(pack.id), bytes, type === 'tree' ? { treePack: true } : undefined);
    onPack?.(pack);
    unindexed.push(pack);
    bytesWritten += bytes.length;
    packsWritten += 1;
    if (unindexed.length >= checkpointPacks) await writeIndex();
  };

  /** Starts writing the open pack of `type`; returns once fewer than parallelWrites are being written. */
  const write = async (type: BlobType): Promise<void> => {
    packWrites.track(flush(type), 1);
    await packWrites.waitBelow(parallelWrites - 1, 0);
  };

  /** Adds `stored` bytes to the open pack of `type` through `put`, writing packs as they fill. */
  const addTo = async (type: BlobType, stored: number, put: (builder: PackBuilder) => void): Promise<void> => {
    packWrites.rethrow();
    const open = builders[type];
    // A blob that would not fit the pack's buffer (which would then double): a pack at least
    // half full is written as it is, and the blob starts the next one.
    if (open !== null && open.size >= packSize / 2 && open.size + stored > fullSize) await write(type);
    // A new pack's buffer is taken only while fewer than parallelWrites packs are being written:
    // blobs are added from several batches at once, and one that found no open pack while the
    // others waited for a write took a third buffer.
    const createWriter = type === 'data' ? backend.createWriter : undefined;
    while (builders[type] === null) {
      await packWrites.waitBelow(parallelWrites - 1, 0);
      if (builders[type] !== null) break;
      if (createWriter === undefined) {
        builders[type] = newBuilder(type);
        break;
      }
      // One writer for the adds that wait for it; a pack filled and flushed meanwhile: again.
      opening ??= openStreamed(createWriter).finally(() => {
        opening = null;
      });
      await opening;
    }
    const builder = builders[type]!;
    const stream = streams.get(builder);
    // A streamed pack's part that would not hold the blob goes out first (the blob starts the next).
    if (stream !== undefined && builder.size > builder.spilled && builder.size - builder.spilled + stored > STREAM_PART) send(builder, stream);
    put(builder);
    if (stream !== undefined && builder.size - builder.spilled >= STREAM_PART) send(builder, stream);
    if (builder.size >= packSize) await write(type);
    // At most one part waits to be appended (the newest: its write overlaps the next part's filling).
    else if (stream !== undefined && stream.sending.length > 1) await stream.sending[0]!.written;
  };

  return {
    add: (id, type, blob) => addTo(type, blob.data.length, (builder) => builder.add(id, type, blob)),
    addGroup: (frame, groupRaw, members) => addTo('data', frame.length, (builder) => builder.addGroup(frame, groupRaw, members)),
    async adopt(pack, bytes, type, settled) {
      packWrites.rethrow();
      packWrites.track(writeAdopted(pack, bytes, type).finally(() => settled?.()), 1);
      await packWrites.waitBelow(parallelWrites - 1, 0);
    },
    async flushData() {
      packWrites.rethrow();
      packWrites.track(flush('data'), 1);
      await packWrites.drain();
    },
    async finish() {
      packWrites.track(flush('data'), 1);
      packWrites.track(flush('tree'), 1);
      await packWrites.drain();
      await writeIndex();
    },
    async abort() {
      await packWrites.settle();
      await opening?.catch(() => undefined);
      // The open streamed pack's file is dropped with it.
      const open = builders.data;
      const stream = open === null ? undefined : streams.get(open);
      if (open !== null && stream !== undefined) {
        builders.data = null;
        streams.delete(open);
        await stream.tail.catch(() => undefined);
        await stream.writer.abort();
      }
      await writeIndex();
    },
    unwritten(id) {
      const open = builders.data?.stored(id);
      if (open !== undefined) return open;
      for (const builder of writing) {
        const found = builder.stored(id);
        if (found !== undefined) return found;
      }
      return undefined;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get packsWritten() {
      return packsWritten;
    },
  };
}
