import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { holdLock } from './held-lock.js';
import type { HeldLock, HoldLockOptions } from './held-lock.js';
import { describeLock, lockState, readLocks } from './lock-files.js';
import type { LockInfo, LockKind, LockState } from './lock-files.js';

/**
 * Takes the repository's exclusive lock (prune, repair): writes this process's lock file,
 * then looks for another holder. Lock files of processes that are provably gone (same
 * host, no such pid) are removed, whatever their kind; any other exclusive holder, live or
 * stale, makes this fail with ERR_LOCKED naming it (`cairn unlock` removes stale locks).
 * Backups hold leases, not this lock: they go on.
 */
export async function acquireExclusiveLock(backend: Backend, purpose: string, options: HoldLockOptions = {}): Promise<HeldLock> {
  const held = await holdLock(backend, 'exclusive', purpose, options);
  try {
    const { locks } = await readLocks(backend);
    for (const other of locks) {
      if (other.token === held.token) continue;
      const state = lockState(other);
      if (state.dead) {
        await backend.remove('lock', other.name);
        continue;
      }
      if (other.kind !== 'exclusive') continue;
      throw new CairnError('ERR_LOCKED', `the repository at ${backend.location} is locked: ${describeLock(other)}, ${state.reason}`, {
        hint: state.live
          ? 'wait for it to finish; if that process is really gone, `cairn unlock --remove-all` breaks the lock'
          : 'the lock looks stale: remove it with `cairn unlock`',
      });
    }
  } catch (error) {
    await held.release();
    throw error;
  }
  return held;
}

/** The lock files of a kind whose holders still run, each with its state. */
export async function liveLocks(backend: Backend, kind: LockKind, exceptToken?: string): Promise<{ lock: LockInfo; state: LockState }[]> {
  const { locks } = await readLocks(backend);
  const now = Date.now();
  return locks
    .filter((lock) => lock.kind === kind && lock.token !== exceptToken)
    .map((lock) => ({ lock, state: lockState(lock, now) }))
    .filter(({ state }) => state.live);
}

/** Options of waitForSweeps. */
export interface WaitOptions {
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Waits while a prune holds a live sweep marker (it is deleting packs and rewriting the
 * index: seconds). A marker whose holder is gone or stale is not waited for.
 */
export async function waitForSweeps(backend: Backend, options: WaitOptions = {}): Promise<void> {
  const pollMs = options.pollMs ?? 200;
  while ((await liveLocks(backend, 'sweep')).length > 0) {
    if (options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'stopped while waiting for a prune to finish deleting');
    await sleep(pollMs, undefined, { ref: true });
  }
}

/** One lock file unlock() looked at: what it is and why it was removed or kept. */
export interface UnlockEntry {
  readonly name: string;
  /** Undefined for a file that cannot be read as a lock (damaged: always removed). */
  readonly lock?: LockInfo;
  /** A sentence: who holds it and its state. */
  readonly message: string;
}

/** What unlock() did. */
export interface UnlockResult {
  readonly removed: UnlockEntry[];
  readonly kept: UnlockEntry[];
}

/**
 * Removes stale lock files (holder gone from this host, or not refreshed within its limit)
 * and unreadable ones; with removeAll, every lock file, live ones too. Prune's pending
 * deletion records are not locks and are never removed.
 */
export async function unlock(backend: Backend, options: { readonly removeAll?: boolean } = {}): Promise<UnlockResult> {
  const { locks, damaged } = await readLocks(backend);
  const removed: UnlockEntry[] = [];
  const kept: UnlockEntry[] = [];
  const now = Date.now();
  for (const name of damaged) {
    await backend.remove('lock', name);
    removed.push({ name, message: `locks/${name} cannot be read as a lock file` });
  }
  for (const lock of locks) {
    const state = lockState(lock, now);
    const entry = { name: lock.name, lock, message: `${describeLock(lock, now)}: ${state.live ? 'live' : 'stale'}, ${state.reason}` };
    if (state.live && options.removeAll !== true) {
      kept.push(entry);
      continue;
    }
    await backend.remove('lock', lock.name);
    removed.push(entry);
  }
  return { removed, kept };
}
