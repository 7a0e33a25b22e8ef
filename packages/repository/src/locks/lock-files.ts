import { hostname } from 'node:os';
import { CairnError, isCairnError } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { formatInterval } from '../repo/durations.js';

/**
 * The kinds of lock file in locks/: a backup's shared `lease`, the `exclusive` lock of
 * prune and repair, and the `sweep` marker prune holds while it deletes.
 */
export type LockKind = 'lease' | 'exclusive' | 'sweep';

/** How often a lock file is rewritten, and after how long without that it counts as stale. */
export interface LockTimings {
  readonly refreshMs: number;
  readonly staleMs: number;
}

/** The default timings of each kind: stale after three missed refreshes. */
export const LOCK_TIMINGS: Readonly<Record<LockKind, LockTimings>> = {
  lease: { refreshMs: 5 * 60_000, staleMs: 15 * 60_000 },
  exclusive: { refreshMs: 5 * 60_000, staleMs: 15 * 60_000 },
  sweep: { refreshMs: 10_000, staleMs: 60_000 },
};

/** One lock file, as written: who holds it, since when, last refreshed when. Times in ms since 1970. */
export interface LockInfo {
  readonly name: string;
  readonly kind: LockKind;
  /** Random, shared by the successive files of one holder (`<kind>-<token>-<seq>`). */
  readonly token: string;
  /** What holds it: "backup", "check", "prune", "repair index", … */
  readonly purpose: string;
  readonly host: string;
  readonly pid: number;
  readonly started: number;
  readonly refreshed: number;
  /** The holder's own staleness limit. */
  readonly staleMs: number;
}

/** Whether a lock's holder still runs, as far as this machine can tell. */
export interface LockState {
  readonly live: boolean;
  /** The holder is provably gone: same host, and no process has its pid. */
  readonly dead: boolean;
  /** Why: "refreshed 20s ago", "process 123 on this host is gone", "not refreshed for 20m". */
  readonly reason: string;
}

/**
 * How far another host's clock may be behind this one's: a lock of another host counts as stale
 * only when it looks unrefreshed for its `staleMs` plus this much. Judging a live lock stale
 * would let a prune delete what its holder relies on; judging a dead one live only delays.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

const LOCK_NAME = /^(lease|exclusive|sweep)-([0-9a-f]{16})-(\d{1,15})$/;

/** The file name of a holder's `seq`-th lock file. */
export function lockFileName(kind: LockKind, token: string, seq: number): string {
  return `${kind}-${token}-${seq}`;
}

/** True when `name` is the name of a lock file (not a prune record, not a stray file). */
export function isLockFileName(name: string): boolean {
  return LOCK_NAME.test(name);
}

/** The JSON bytes of a lock file. */
export function encodeLock(info: Omit<LockInfo, 'name'>): Uint8Array {
  const { kind, token, purpose, host, pid, started, refreshed, staleMs } = info;
  return new TextEncoder().encode(JSON.stringify({
    v: 1, kind, token, purpose, host, pid,
    started: new Date(started).toISOString(), refreshed: new Date(refreshed).toISOString(), staleMs,
  }));
}

/** Decodes a lock file; ERR_FORMAT naming it when it is not one. */
export function decodeLock(name: string, bytes: Uint8Array): LockInfo {
  const where = `locks/${name}`;
  const bad = (what: string): CairnError => new CairnError('ERR_FORMAT', `${where} is not a lock file: ${what}`);
  const match = LOCK_NAME.exec(name);
  if (match === null) throw bad('its name is not <kind>-<token>-<seq>');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('it is not JSON');
  }
  const v = value as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || v['v'] !== 1) throw bad('it has no "v": 1');
  const started = Date.parse(String(v['started']));
  const refreshed = Date.parse(String(v['refreshed']));
  const { kind, token, purpose, host, pid, staleMs } = v;
  if (kind !== match[1] || token !== match[2]) throw bad('its kind or token does not match its name');
  if (typeof purpose !== 'string' || typeof host !== 'string') throw bad('purpose and host must be strings');
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || !Number.isSafeInteger(staleMs) || Number.isNaN(started) || Number.isNaN(refreshed)) {
    throw bad('pid, staleMs, started or refreshed is missing or malformed');
  }
  return { name, kind: kind as LockKind, token: token as string, purpose, host, pid: pid as number, started, refreshed, staleMs: staleMs as number };
}

/** Every lock file in locks/, and the names of those that cannot be read as one (stale by definition). */
export async function readLocks(backend: Backend): Promise<{ locks: LockInfo[]; damaged: string[] }> {
  const locks: LockInfo[] = [];
  const damaged: string[] = [];
  for await (const file of backend.list('lock')) {
    if (!isLockFileName(file.name)) continue;
    try {
      locks.push(decodeLock(file.name, await backend.read('lock', file.name)));
    } catch (error) {
      if (isCairnError(error, 'ERR_NOT_FOUND')) continue; // removed while we listed: released
      if (!isCairnError(error, 'ERR_FORMAT') && !isCairnError(error, 'ERR_INTEGRITY')) throw error;
      damaged.push(file.name);
    }
  }
  return { locks, damaged };
}

/**
 * Judges a lock: stale when its holder ran on this host and its pid is gone, or when it
 * was not refreshed within its own staleness limit; a lock of another host, whose times come
 * from that host's clock, is given CLOCK_SKEW_MS more. Live otherwise (a refresh time ahead
 * of this clock included).
 */
export function lockState(lock: LockInfo, now = Date.now(), thisHost = hostname()): LockState {
  const sameHost = lock.host === thisHost;
  if (sameHost && !processExists(lock.pid)) {
    return { live: false, dead: true, reason: `process ${lock.pid} on this host is gone` };
  }
  const age = now - lock.refreshed;
  if (age > lock.staleMs + (sameHost ? 0 : CLOCK_SKEW_MS)) return { live: false, dead: false, reason: `not refreshed for ${formatInterval(age)}` };
  return { live: true, dead: false, reason: `refreshed ${formatInterval(Math.max(0, age))} ago` };
}

/** "lease of backup on host h (pid 12), started 3m ago" for messages. */
export function describeLock(lock: LockInfo, now = Date.now()): string {
  return `${lock.kind} of ${lock.purpose} on host ${lock.host} (pid ${lock.pid}), started ${formatInterval(Math.max(0, now - lock.started))} ago`;
}

/** True when a process with this pid exists on this machine (EPERM: it exists, owned by someone else). */
function processExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes a lock-type file; a repository without a locks/ folder (copied by git, say) gets one. */
export async function writeLockTypeFile(backend: Backend, name: string, bytes: Uint8Array): Promise<void> {
  try {
    await backend.write('lock', name, bytes);
  } catch (error) {
    if (!isCairnError(error, 'ERR_NOT_FOUND')) throw error;
    await backend.create();
    await backend.write('lock', name, bytes);
  }
}
