import { CairnError, isCairnError, toHex } from '@cairn/core';
import { holdLock } from './held-lock.js';
import type { LockTimings } from './lock-files.js';
import { waitForSweeps } from './locks.js';
import { packFileName } from '../repo/names.js';
import type { LeasedRepository } from '../repo/repository.js';

/** Options of acquireLease / withLease. */
export interface LeaseOptions {
  /** What holds it, for `cairn unlock` and messages (default "backup"). */
  readonly purpose?: string;
  readonly timings?: Partial<LockTimings>;
  /** How often to look again while a prune is deleting (default 200 ms). */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Called instead of failing when the work succeeded but the lease file could not be removed
   * (the storage went away at the very end): the work's result stands, and the file left behind
   * is ignored once stale, or removed by the next locker on this host. Without it, that fails.
   */
  readonly onLeftBehind?: (message: string) => void;
}

/** A shared lease on a repository: while it is held, no prune deletes a pack. */
export interface Lease {
  /**
   * Removes the lease; throws ERR_LOCKED when it was lost and a prune removed data this process used.
   * When only the removal of the lease file failed, `onLeftBehind` (if given) hears of it instead.
   */
  release(onLeftBehind?: (message: string) => void): Promise<void>;
}

/**
 * Takes a shared lease (locks/lease-…) so that no prune deletes anything while this process
 * works: a prune deletes packs only while no live lease exists. Then it waits for a prune
 * that is deleting right now (its sweep marker; seconds), and if the repository's index was
 * loaded before a prune replaced index files, loads it again, so nothing this process does
 * relies on a pack that is gone. Many leases coexist; they never wait for one another.
 */
export async function acquireLease(repo: LeasedRepository, options: LeaseOptions = {}): Promise<Lease> {
  const purpose = options.purpose ?? 'backup';
  const pollMs = options.pollMs ?? 200;
  let broken: unknown;
  // The lease went missing or unrefreshed: a prune may have judged it stale and deleted
  // packs meanwhile. Still fine if every pack this process knows of is there.
  const onLost = async (reason: string): Promise<void> => {
    try {
      await waitForSweeps(repo.backend, { pollMs });
      const missing = await missingPacks(repo);
      if (missing.length > 0 && broken === undefined) {
        broken = new CairnError('ERR_LOCKED', `the ${purpose} lease on ${repo.backend.location} was lost (${reason}), and a prune removed ${missing.length} pack(s) this ${purpose} relies on, such as ${packFileName(missing[0] ?? '')}`, {
          hint: 'run `cairn check`; `cairn repair snapshots` mends a snapshot that lost data',
        });
      }
    } catch (error) {
      broken ??= error;
    }
  };
  const held = await holdLock(repo.backend, 'lease', purpose, { ...(options.timings === undefined ? {} : { timings: options.timings }), onLost });
  try {
    await waitForSweeps(repo.backend, { pollMs, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    await refreshStaleIndex(repo);
  } catch (error) {
    await held.release();
    throw error;
  }
  return {
    async release(onLeftBehind) {
      const overdue = held.overdue();
      let left: unknown;
      try {
        await held.release();
      } catch (error) {
        left = error;
      }
      if (overdue) await onLost('it was not refreshed in time');
      if (broken !== undefined) throw broken;
      if (left === undefined) return;
      if (onLeftBehind === undefined) throw left;
      onLeftBehind(`the lease file locks/${held.name} could not be removed (${left instanceof Error ? left.message : String(left)}); it is ignored once stale, and \`cairn unlock\` removes it`);
    },
  };
}

/** Runs `work` holding a lease (see acquireLease), and releases it however `work` ends. */
export async function withLease<T>(repo: LeasedRepository, options: LeaseOptions, work: () => Promise<T>): Promise<T> {
  return runLeased(await acquireLease(repo, options), options, work);
}

/**
 * withLease for work that only reads (restore, ls, stats): the lease keeps a prune from deleting
 * a pack the work is about to read. A repository whose locks/ this process may not write (a
 * read-only copy) is read without one: whoever may prune it is not this process.
 */
export async function withReadLease<T>(repo: LeasedRepository, options: LeaseOptions, work: () => Promise<T>): Promise<T> {
  const lease = await acquireReadLease(repo, options.purpose ?? 'read', options);
  return lease === null ? work() : runLeased(lease, options, work);
}

/** The lease of withReadLease, or null when the repository's locks/ cannot be written. */
export async function acquireReadLease(repo: LeasedRepository, purpose: string, options: LeaseOptions = {}): Promise<Lease | null> {
  try {
    return await acquireLease(repo, { ...options, purpose });
  } catch (error) {
    if (!isCairnError(error, 'ERR_PERMISSION')) throw error;
    return null;
  }
}

async function runLeased<T>(lease: Lease, options: LeaseOptions, work: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await lease.release().catch(() => undefined);
    throw error;
  }
  await lease.release(options.onLeftBehind);
  return result;
}

/**
 * Loads the index again when an index file it was loaded from is gone: a prune replaced it,
 * and may have deleted packs it named. Returns true when it did. (A pack is deleted only
 * after every index file naming it is removed, so all files still there means all packs are.)
 */
export async function refreshStaleIndex(repo: Pick<LeasedRepository, 'backend' | 'indexFiles' | 'reloadIndex'>): Promise<boolean> {
  const present = new Set<string>();
  for await (const file of repo.backend.list('index')) present.add(file.name);
  if (repo.indexFiles.every((name) => present.has(name))) return false;
  await repo.reloadIndex();
  return true;
}

/** The packs the in-memory index names that are not in data/ (hex ids). */
async function missingPacks(repo: Pick<LeasedRepository, 'backend' | 'index'>): Promise<string[]> {
  const present = new Set<string>();
  try {
    for await (const file of repo.backend.list('data')) present.add(file.name);
  } catch (error) {
    if (!isCairnError(error, 'ERR_NOT_FOUND')) throw error;
  }
  return repo.index.packIds().map(toHex).filter((hex) => !present.has(hex));
}
