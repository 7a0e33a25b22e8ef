import { toHex } from '@cairn/core';
import type { Backend, BlobType, Id } from '@cairn/core';
import type { IndexPack } from '@cairn/index';
import { createPackBuilder } from '@cairn/pack';
import type { EncodedBlob, PackBuilder } from '@cairn/pack';

/** Collects already-encoded blobs into new packs (data and trees apart) and writes each when full. */
export interface PackSink {
  /** Adds a blob (its bytes are kept, not copied); writes the pack of its type once it reaches the pack size. */
  add(id: Id, type: BlobType, blob: EncodedBlob): Promise<void>;
  /** Writes the packs not yet written and returns every pack written, for an index file. */
  finish(): Promise<IndexPack[]>;
  /** Bytes of the pack files written so far. */
  readonly bytesWritten: number;
}

/**
 * A pack sink over a backend, for prune's repacking and repair's new trees. It adds no index
 * entries itself: the caller writes the index file for `finish()`'s packs, after the packs.
 */
export function createPackSink(backend: Backend, packSize: number): PackSink {
  const builders: Record<BlobType, PackBuilder> = { data: createPackBuilder(), tree: createPackBuilder() };
  const written: IndexPack[] = [];
  let bytesWritten = 0;

  const flush = async (type: BlobType): Promise<void> => {
    const builder = builders[type];
    if (builder.count === 0) return;
    builders[type] = createPackBuilder();
    const pack = builder.finish();
    await backend.write('data', toHex(pack.id), pack.parts);
    written.push({ id: pack.id, blobs: [...pack.blobs] });
    bytesWritten += pack.size;
  };

  return {
    async add(id, type, blob) {
      builders[type].add(id, type, blob);
      if (builders[type].size >= packSize) await flush(type);
    },
    async finish() {
      await flush('data');
      await flush('tree');
      return [...written];
    },
    get bytesWritten() {
      return bytesWritten;
    },
  };
}
