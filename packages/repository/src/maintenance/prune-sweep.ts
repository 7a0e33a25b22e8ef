import { CairnError, toHex } from '@cairn/core';
import type { PackedBlob } from '@cairn/core';
import type { IndexPack } from '@cairn/index';
import { holdLock } from '../locks/held-lock.js';
import { readIndexFiles, writeIndexFile } from '../repo/index-files.js';
import { describeLock } from '../locks/lock-files.js';
import type { LockTimings } from '../locks/lock-files.js';
import { liveLocks } from '../locks/locks.js';
import { listPacks } from '../repo/pack-headers.js';
import type { PruneRecord } from './prune-record.js';
import type { PruneProgress } from './prune-types.js';
import type { References } from './references.js';
import type { RepositoryFiles } from '../repo/repository.js';

/** What a sweep did (or, dry, would do). */
export interface SweepSummary {
  readonly deleted: { packs: number; bytes: number };
  /** Marked packs kept because a snapshot uses them now, or a backup indexed them since. */
  readonly kept: number;
  readonly indexFilesRewritten: number;
  /** Records swept (and removed). */
  readonly records: number;
  /** When the sweep did not run: the live leases it waited for. */
  readonly deferredBy: string[];
}

/** Options of sweepRecords. */
export interface SweepOptions {
  readonly dryRun: boolean;
  readonly markerTimings?: Partial<LockTimings>;
  readonly onProgress?: (progress: PruneProgress) => void;
}

/**
 * The sweep phase: deletes the packs of deletion records, but only while no backup holds a
 * live lease. It writes a sweep marker first (a backup starting now waits for it), then
 * looks for live leases (any: defer); then, with the snapshots there are now, keeps every
 * marked pack that holds the last copy of a blob some snapshot uses, rewrites the index
 * files that name the others (new file first, then the old ones go), deletes those packs
 * and the records. Everything an index names stays until that index file is gone.
 */
export async function sweepRecords(repo: RepositoryFiles, refs: References, records: readonly PruneRecord[], options: SweepOptions): Promise<SweepSummary> {
  const { backend } = repo;
  const none = { deleted: { packs: 0, bytes: 0 }, kept: 0, indexFilesRewritten: 0, records: 0, deferredBy: [] };
  if (records.length === 0) return none;
  const marker = options.dryRun ? null : await holdLock(backend, 'sweep', 'prune', options.markerTimings === undefined ? {} : { timings: options.markerTimings });
  try {
    const leases = await liveLocks(backend, 'lease');
    if (leases.length > 0) return { ...none, deferredBy: leases.map(({ lock, state }) => `${describeLock(lock)}, ${state.reason}`) };
    await refs.update();

    const files: { name: string; packs: IndexPack[] }[] = [];
    await readIndexFiles(backend, (name, packs) => files.push({ name, packs }));
    const sizes = await listPacks(backend);
    const indexed = new Map<string, PackedBlob[]>();
    for (const file of files) for (const pack of file.packs) indexed.set(toHex(pack.id), pack.blobs);

    const marked = new Set(records.flatMap((record) => record.packs.map((pack) => pack.id)).filter((id) => sizes.has(id)));
    const doomed = new Set([...marked].filter((id) => indexed.has(id)));
    const orphans = [...marked].filter((id) => !indexed.has(id));
    // A referenced blob must keep one copy in a pack that stays.
    const available = new Set<string>();
    const credit = (blobs: readonly PackedBlob[]): void => {
      for (const blob of blobs) {
        const hex = toHex(blob.id);
        if (refs.blobs.has(hex)) available.add(hex);
      }
    };
    for (const [id, blobs] of indexed) if (!doomed.has(id) && sizes.has(id)) credit(blobs);
    let kept = 0;
    for (const id of doomed) {
      const blobs = indexed.get(id) ?? [];
      if (blobs.some((blob) => refs.blobs.has(toHex(blob.id)) && !available.has(toHex(blob.id)))) {
        doomed.delete(id);
        credit(blobs);
        kept += 1;
      }
    }
    if (available.size < refs.blobs.size) {
      throw new CairnError('ERR_INTEGRITY', `${refs.blobs.size - available.size} blob(s) that snapshots use are in no pack: prune stops before deleting anything`, {
        hint: 'run `cairn check`, then `cairn repair index` or `cairn repair snapshots`',
      });
    }

    const superseded = files.filter((file) => file.packs.some((pack) => doomed.has(toHex(pack.id))));
    const deleted = [...doomed, ...orphans];
    const summary = {
      deleted: { packs: deleted.length, bytes: deleted.reduce((sum, id) => sum + (sizes.get(id) ?? 0), 0) },
      kept,
      indexFilesRewritten: superseded.length,
      records: records.length,
      deferredBy: [],
    };
    if (options.dryRun) return summary;

    const survivors = new Map<string, IndexPack>();
    for (const file of superseded) {
      for (const pack of file.packs) if (!doomed.has(toHex(pack.id))) survivors.set(toHex(pack.id), pack);
    }
    if (survivors.size > 0) await writeIndexFile(backend, [...survivors.values()]);
    for (const file of superseded) await backend.remove('index', file.name);
    let removed = 0;
    for (const id of deleted) {
      await backend.remove('data', id);
      removed += 1;
      options.onProgress?.({ phase: 'delete', done: removed, total: deleted.length });
    }
    for (const record of records) await backend.remove('lock', record.name);
    return summary;
  } finally {
    await marker?.release();
  }
}
