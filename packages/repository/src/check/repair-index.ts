import { fromHex, isCairnError } from '@cairn/core';
import type { IndexPack } from '@cairn/index';
import { writeIndexFile } from '../repo/index-files.js';
import type { LockTimings } from '../locks/lock-files.js';
import { acquireExclusiveLock } from '../locks/locks.js';
import { naming, packFileName } from '../repo/names.js';
import { listPacks, readPackHeader } from '../repo/pack-headers.js';
import type { Repository } from '../repo/repository.js';

/** Options of repairIndex(). */
export interface RepairIndexOptions {
  readonly lockTimings?: Partial<LockTimings>;
  readonly onProgress?: (progress: { done: number; total: number }) => void;
}

/** What repairIndex() did. */
export interface RepairIndexResult {
  /** Packs indexed, and the blobs they hold. */
  readonly packs: number;
  readonly blobs: number;
  /** Packs whose header cannot be read: left in place, not indexed. */
  readonly damaged: { readonly file: string; readonly message: string }[];
  readonly indexFilesWritten: number;
  readonly indexFilesRemoved: number;
}

/** Packs per index file written by repairIndex. */
const PACKS_PER_FILE = 4096;

/**
 * Rebuilds the index from the pack headers alone: reads every pack's header, writes new
 * index files naming every readable pack, then removes the index files that were there
 * before (new first, old after: a crash leaves both, which is harmless). Index files that
 * backups write meanwhile are kept. Holds the exclusive lock.
 */
export async function repairIndex(repo: Pick<Repository, 'backend' | 'reloadIndex'>, options: RepairIndexOptions = {}): Promise<RepairIndexResult> {
  const { backend } = repo;
  const lock = await acquireExclusiveLock(backend, 'repair index', options.lockTimings === undefined ? {} : { timings: options.lockTimings });
  try {
    const old: string[] = [];
    for await (const file of backend.list('index')) old.push(file.name);
    const sizes = await listPacks(backend);
    const packs: IndexPack[] = [];
    const damaged: { file: string; message: string }[] = [];
    let blobs = 0;
    let done = 0;
    for (const [hex, size] of sizes) {
      options.onProgress?.({ done, total: sizes.size });
      done += 1;
      try {
        const list = await readPackHeader(backend, hex, size);
        packs.push({ id: fromHex(hex), blobs: list });
        blobs += list.length;
      } catch (error) {
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
        const file = packFileName(hex);
        damaged.push({ file, message: naming(file, error.message) });
      }
    }
    const written = new Set<string>();
    for (let start = 0; start < packs.length; start += PACKS_PER_FILE) {
      written.add(await writeIndexFile(backend, packs.slice(start, start + PACKS_PER_FILE)));
    }
    const removed = old.filter((name) => !written.has(name));
    for (const name of removed) await backend.remove('index', name);
    await repo.reloadIndex();
    return { packs: packs.length, blobs, damaged, indexFilesWritten: written.size, indexFilesRemoved: removed.length };
  } finally {
    await lock.release();
  }
}
