import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isCairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { formatInterval } from '../repo/durations.js';
import { encodeLock, LOCK_TIMINGS, lockFileName, writeLockTypeFile } from './lock-files.js';
import type { LockKind, LockTimings } from './lock-files.js';

/** A lock file this process holds and keeps fresh until release(). */
export interface HeldLock {
  readonly kind: LockKind;
  readonly token: string;
  /** The current file name (it changes at each refresh). */
  readonly name: string;
  /** True when the last successful refresh is older than the staleness limit: others may have judged it stale. */
  overdue(): boolean;
  /** Stops refreshing and removes the lock file. */
  release(): Promise<void>;
}

/** Options of holdLock. */
export interface HoldLockOptions {
  readonly timings?: Partial<LockTimings>;
  /**
   * Called (once per refresh) when the lock was lost: its file was removed by someone else,
   * or it went unrefreshed past its staleness limit (a suspended machine, say).
   */
  readonly onLost?: (reason: string) => Promise<void> | void;
}

/**
 * Writes a lock file (`locks/<kind>-<token>-0`) and refreshes it every `refreshMs`: each
 * refresh writes the next file (`…-1`, `…-2`) before removing the previous one, so the
 * lock never disappears while held, and files are never modified in place.
 */
export async function holdLock(backend: Backend, kind: LockKind, purpose: string, options: HoldLockOptions = {}): Promise<HeldLock> {
  const timings = { ...LOCK_TIMINGS[kind], ...options.timings };
  if (!(timings.refreshMs > 0) || !(timings.staleMs >= timings.refreshMs)) {
    throw new RangeError(`lock timings need 0 < refreshMs <= staleMs, got ${timings.refreshMs} and ${timings.staleMs}`);
  }
  const token = randomBytes(8).toString('hex');
  const host = hostname();
  const started = Date.now();
  const bytes = (refreshed: number): Uint8Array =>
    encodeLock({ kind, token, purpose, host, pid: process.pid, started, refreshed, staleMs: timings.staleMs });
  let seq = 0;
  let name = lockFileName(kind, token, seq);
  let lastRefresh = started;
  await writeLockTypeFile(backend, name, bytes(started));
  const owned = new Set([name]); // files written and not yet removed

  let inFlight: Promise<void> | undefined;
  const refresh = async (): Promise<void> => {
    const now = Date.now();
    const gap = now - lastRefresh;
    let missing = false;
    try {
      await backend.stat('lock', name);
    } catch (error) {
      if (!isCairnError(error, 'ERR_NOT_FOUND')) throw error;
      missing = true;
    }
    const next = lockFileName(kind, token, seq + 1);
    await writeLockTypeFile(backend, next, bytes(now));
    owned.add(next);
    const previous = name;
    seq += 1;
    name = next;
    lastRefresh = now;
    if (!missing) await backend.remove('lock', previous);
    owned.delete(previous);
    if (missing) await options.onLost?.('its lock file was removed by another process (`cairn unlock`?)');
    else if (gap > timings.staleMs) await options.onLost?.(`it went ${formatInterval(gap)} without a refresh (the machine slept?)`);
  };
  const timer = setInterval(() => {
    // A failed refresh is retried at the next tick; overdue() tells when that went on too long.
    inFlight ??= refresh().catch(() => undefined).finally(() => (inFlight = undefined));
  }, timings.refreshMs);
  timer.unref();

  return {
    kind,
    token,
    get name() {
      return name;
    },
    overdue: () => Date.now() - lastRefresh > timings.staleMs,
    async release() {
      clearInterval(timer);
      await inFlight;
      for (const file of owned) await backend.remove('lock', file);
      owned.clear();
    },
  };
}
