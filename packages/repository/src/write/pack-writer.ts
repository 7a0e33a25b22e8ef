import { toHex } from '@cairn/core';
import type { Backend, BlobType, Id } from '@cairn/core';
import type { IndexPack } from '@cairn/index';
import { createPackBuilder } from '@cairn/pack';
import type { EncodedBlob, PackBuilder } from '@cairn/pack';
import { writeIndexFile } from '../repo/index-files.js';
import { contentIds } from '../repo/content-ids.js';

/** Options of createPackWriter. */
export interface PackWriterOptions {
  /** A pack is written once it holds this many bytes (the repository config's packSize). */
  readonly packSize: number;
  /** An index file is written after this many packs (a checkpoint); by default only at `finish`. */
  readonly checkpointPacks?: number;
  /** Called with each pack once its file is written, before it is in an index file. */
  readonly onPack?: (pack: IndexPack) => void;
}

/**
 * The one place cairn builds pack files: collects encoded blobs into packs (data and trees
 * apart, so trees load from few packs, and tree packs are marked so for a local cache), writes each pack once it reaches the pack size, and
 * writes an index file for the packs written, always after them: at every checkpoint, at
 * `finish` and at `abort`. Backups, prune's repacking and repair's new trees all write through it.
 */
export interface PackWriter {
  /** Adds a blob (its bytes are copied); writes the pack of its type once it reaches the pack size. */
  add(id: Id, type: BlobType, blob: EncodedBlob): Promise<void>;
  /** Writes the packs not yet written and an index file for those not yet indexed. */
  finish(): Promise<void>;
  /** Waits for the pack files being written and writes an index file for those not yet indexed; drops the open packs. */
  abort(): Promise<void>;
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
  // Pack buffers are reused once their pack is written, so a long backup makes no garbage of them.
  const spare: Uint8Array[] = [];
  const newBuilder = (): PackBuilder => createPackBuilder({ storage: spare.pop() ?? new Uint8Array(packSize + 1024 * 1024), hash: ids.hash });
  const builders: Record<BlobType, PackBuilder> = { data: newBuilder(), tree: newBuilder() };
  let unindexed: IndexPack[] = [];
  const packWrites = new Set<Promise<void>>();
  let bytesWritten = 0;
  let packsWritten = 0;

  const writeIndex = async (): Promise<void> => {
    if (unindexed.length === 0) return;
    const packs = unindexed;
    unindexed = [];
    await writeIndexFile(backend, packs);
  };

  const flush = async (type: BlobType): Promise<void> => {
    const builder = builders[type];
    if (builder.count === 0) return;
    builders[type] = newBuilder();
    const pack = builder.finish();
    await backend.write('data', toHex(pack.id), pack.parts, type === 'tree' ? { treePack: true } : undefined);
    const storage = pack.parts[0];
    if (storage !== undefined && spare.length < 1 && storage.byteOffset === 0) spare.push(new Uint8Array(storage.buffer));
    const indexed: IndexPack = { id: pack.id, blobs: [...pack.blobs] };
    onPack?.(indexed);
    unindexed.push(indexed);
    bytesWritten += pack.size;
    packsWritten += 1;
    if (unindexed.length >= checkpointPacks) await writeIndex();
  };

  return {
    async add(id, type, blob) {
      builders[type].add(id, type, blob);
      if (builders[type].size < packSize) return;
      const write = flush(type);
      packWrites.add(write);
      try {
        await write;
      } finally {
        packWrites.delete(write);
      }
    },
    async finish() {
      await flush('data');
      await flush('tree');
      await writeIndex();
    },
    async abort() {
      await Promise.allSettled([...packWrites]);
      await writeIndex();
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get packsWritten() {
      return packsWritten;
    },
  };
}
