/**
 * @cairn/repository/locks — who may change a repository now: the lease every command takes,
 * exclusive locks, their files and states, waiting for a prune's sweep, and `unlock`.
 */
export { acquireLease, withLease, refreshStaleIndex } from './locks/lease.js';
export type { Lease, LeaseOptions } from './locks/lease.js';
export { acquireExclusiveLock, liveLocks, waitForSweeps, unlock } from './locks/locks.js';
export type { UnlockResult, UnlockEntry, WaitOptions } from './locks/locks.js';
export { holdLock } from './locks/held-lock.js';
export type { HeldLock, HoldLockOptions } from './locks/held-lock.js';
export { readLocks, lockState, describeLock, CLOCK_SKEW_MS, LOCK_TIMINGS } from './locks/lock-files.js';
export type { LockInfo, LockKind, LockState, LockTimings } from './locks/lock-files.js';
