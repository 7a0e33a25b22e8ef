/**
 * @cairn/repository — the cairn engine that embedders call: create or open a
 * repository on a Backend, back up a Source into snapshots, restore them into a
 * Target, and check, list and measure what is stored.
 */
export { initRepository, openRepository } from './repo/repository.js';
export type { Repository, InitOptions } from './repo/repository.js';
export type { IndexProblem } from './repo/index-files.js';
export { createBlobWriter } from './write/blob-writer.js';
export type { BlobWriter, BlobWriterOptions, BlobCompression, WriteStats } from './write/blob-writer.js';
export { backup, resolveBackupPaths } from './backup/archiver.js';
export { compressionSetting, COMPRESSION_MODES, parseCompressionMode } from './write/compression.js';
export type { CompressionMode } from './write/compression.js';
export type { BackupOptions, BackupResult, BackupProgress, BackupWarning, BackupWarningKind } from './backup/backup-types.js';
export { restore } from './restore/restorer.js';
export type { RestoreOptions, RestoreResult, RestoreAction, RestoreProblem, OverwritePolicy } from './restore/restorer.js';
export { check, parseDataSubset, selectSubset } from './check/checker.js';
export type { CheckOptions, CheckResult, CheckProblem, DataSubset } from './check/checker.js';
export { listSnapshots, findSnapshot, readSnapshot, snapshotKind, latestOfOrigin, PRE_RESTORE_TAG, VERSION } from './repo/snapshots.js';
export type { SnapshotEntry, SnapshotProblem, SnapshotKind, FindSnapshotOptions } from './repo/snapshots.js';
export { listSnapshot } from './inspect/ls.js';
export type { ListEntry } from './inspect/ls.js';
export { stats } from './inspect/stats.js';
export type { RepositoryStats } from './inspect/stats.js';
export { createTreeSizer } from './tree/tree-size.js';
export type { TreeSize } from './tree/tree-size.js';
export { catObject, CAT_KINDS } from './inspect/cat.js';
export type { CatKind } from './inspect/cat.js';
export { packFileName } from './repo/names.js';
export { applyPolicy, groupSnapshots, isEmptyPolicy, describePolicy, GROUP_KEYS } from './maintenance/retention.js';
export type { RetentionPolicy, RetentionOptions, KeptSnapshot, PolicyResult, GroupKey, SnapshotGroup } from './maintenance/retention.js';
export { parseCalendarDuration, formatCalendarDuration, parseInterval, formatInterval } from './repo/durations.js';
export type { CalendarDuration } from './repo/durations.js';
export { forget, groupText } from './maintenance/forget.js';
export type { ForgetOptions, ForgetResult, ForgetGroup } from './maintenance/forget.js';
export { prune, parseMaxUnused, DEFAULT_GRACE_MS, DEFAULT_MAX_UNUSED } from './maintenance/prune.js';
export type { PruneOptions, PruneResult } from './maintenance/prune.js';
export { readPruneRecords } from './maintenance/prune-record.js';
export type { PruneRecord, PendingPack, PendingReason } from './maintenance/prune-record.js';
export { acquireLease, withLease, refreshStaleIndex } from './locks/lease.js';
export type { Lease, LeaseOptions } from './locks/lease.js';
export { acquireExclusiveLock, liveLocks, waitForSweeps, unlock } from './locks/locks.js';
export type { UnlockResult, UnlockEntry, WaitOptions } from './locks/locks.js';
export { holdLock } from './locks/held-lock.js';
export type { HeldLock, HoldLockOptions } from './locks/held-lock.js';
export { readLocks, lockState, describeLock, LOCK_TIMINGS } from './locks/lock-files.js';
export type { LockInfo, LockKind, LockState, LockTimings } from './locks/lock-files.js';
export { repairIndex } from './check/repair-index.js';
export type { RepairIndexOptions, RepairIndexResult } from './check/repair-index.js';
export { repairSnapshots } from './check/repair-snapshots.js';
export type { RepairSnapshotsOptions, RepairSnapshotsResult, RepairedSnapshot } from './check/repair-snapshots.js';
export { enforceQuota, quotaLimit, repositorySize } from './maintenance/quota.js';
export type { QuotaOptions, QuotaResult } from './maintenance/quota.js';
export { parseMaxSize, describeMaxSize, policyFromConfig, policyToConfig, updateConfig } from './maintenance/quota-settings.js';
export type { ConfigChange } from './maintenance/quota-settings.js';
export { restoreUndoable } from './restore/undoable-restore.js';
export type { UndoableRestoreOptions, UndoableRestoreResult } from './restore/undoable-restore.js';
