import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { BlobWriter, WriteStats } from './blob-writer.js';
import type { Repository } from '../repo/repository.js';
import { contentIds } from '../repo/content-ids.js';

/**
 * A BlobWriter that writes nothing (a dry run): it hashes every blob as the real one does and
 * counts those the repository does not hold yet, so a walk over it makes the same ids and trees.
 * `bytesAdded` counts their plain bytes (before compression: nothing is compressed); `packsAdded`
 * stays 0. It only reads the repository's index.
 */
export function createDryBlobWriter(repo: Pick<Repository, 'index' | 'backend'>): BlobWriter {
  const blobId = contentIds(repo.backend).id;
  const stats: WriteStats = { dataBlobsAdded: 0, treeBlobsAdded: 0, bytesAdded: 0, packsAdded: 0, deltaBlobsAdded: 0, deltaBytesSaved: 0, groupsAdded: 0, groupedBlobsAdded: 0, packsAdopted: 0, deltasHeld: 0 };
  const seen = new Set<string>();
  const count = (type: 'data' | 'tree', id: Id, size: number): void => {
    if (repo.index.has(id)) return;
    const hex = toHex(id);
    if (seen.has(hex)) return;
    seen.add(hex);
    stats.bytesAdded += size;
    if (type === 'data') stats.dataBlobsAdded += 1;
    else stats.treeBlobsAdded += 1;
  };
  return {
    stats,
    deltas: false,
    has: (id) => repo.index.has(id) || seen.has(toHex(id)),
    async save(type, plain) {
      const id = blobId(plain);
      count(type, id, plain.byteLength);
      return id;
    },
    async saveData(plain) {
      const id = blobId(plain);
      count('data', id, plain.byteLength);
      return id;
    },
    async saveEncoded(type, id, blob) {
      count(type, id, blob.data.byteLength);
    },
    // A dry run takes no pack as it is: the caller stores each blob (and so counts it) instead.
    adoptPack: async () => 'held',
    finish: async () => undefined,
    abort: async () => undefined,
  };
}
