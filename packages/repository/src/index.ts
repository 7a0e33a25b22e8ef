/**
 * @cairn/repository — the cairn engine that embedders call: create or open a
 * repository on a Backend, back up a Source into snapshots, restore them into a
 * Target, and check, list and measure what is stored.
 */
export { initRepository, openRepository } from './repository.js';
export type { Repository, InitOptions, IndexProblem } from './repository.js';
export { createBlobWriter } from './blob-writer.js';
export type { BlobWriter, BlobWriterOptions, BlobCompression, WriteStats } from './blob-writer.js';
export { backup, resolveBackupPaths } from './archiver.js';
export { compressionSetting, COMPRESSION_MODES, parseCompressionMode } from './compression.js';
export type { CompressionMode } from './compression.js';
export type { BackupOptions, BackupResult, BackupProgress, BackupWarning, BackupWarningKind } from './archiver.js';
export type { EntrySelector, EntryDecision, SelectedWorkingCopy, PreviousWorkingCopy } from './entry-selector.js';
export { createProjectSelector } from './project-selector.js';
export type { ProjectSelectorOptions, VcsBackupMode } from './project-selector.js';
export { restore } from './restorer.js';
export type { RestoreOptions, RestoreResult, RestoreAction, RestoreProblem, OverwritePolicy } from './restorer.js';
export { check, parseDataSubset, selectSubset } from './checker.js';
export type { CheckOptions, CheckResult, CheckProblem, DataSubset } from './checker.js';
export { listSnapshots, findSnapshot, readSnapshot, snapshotKind, latestOfOrigin, PRE_RESTORE_TAG, VERSION } from './snapshots.js';
export type { SnapshotEntry, SnapshotProblem, SnapshotKind, FindSnapshotOptions } from './snapshots.js';
export { listSnapshot } from './ls.js';
export type { ListEntry } from './ls.js';
export { stats } from './stats.js';
export type { RepositoryStats } from './stats.js';
export { createTreeSizer } from './tree-size.js';
export type { TreeSize } from './tree-size.js';
export { catObject, CAT_KINDS } from './cat.js';
export type { CatKind } from './cat.js';
export { packFileName } from './names.js';
export { applyPolicy, groupSnapshots, isEmptyPolicy, describePolicy, GROUP_KEYS } from './retention.js';
export type { RetentionPolicy, RetentionOptions, KeptSnapshot, PolicyResult, GroupKey, SnapshotGroup } from './retention.js';
export { parseCalendarDuration, formatCalendarDuration, parseInterval, formatInterval } from './durations.js';
export type { CalendarDuration } from './durations.js';
export { forget, groupText } from './forget.js';
export type { ForgetOptions, ForgetResult, ForgetGroup } from './forget.js';
export { prune, parseMaxUnused, DEFAULT_GRACE_MS, DEFAULT_MAX_UNUSED } from './prune.js';
export type { PruneOptions, PruneResult } from './prune.js';
export { readPruneRecords } from './prune-record.js';
export type { PruneRecord, PendingPack, PendingReason } from './prune-record.js';
export { acquireLease, withLease, refreshStaleIndex } from './lease.js';
export type { Lease, LeaseOptions } from './lease.js';
export { acquireExclusiveLock, liveLocks, waitForSweeps, unlock } from './locks.js';
export type { UnlockResult, UnlockEntry, WaitOptions } from './locks.js';
export { holdLock } from './held-lock.js';
export type { HeldLock, HoldLockOptions } from './held-lock.js';
export { readLocks, lockState, describeLock, LOCK_TIMINGS } from './lock-files.js';
export type { LockInfo, LockKind, LockState, LockTimings } from './lock-files.js';
export { repairIndex } from './repair-index.js';
export type { RepairIndexOptions, RepairIndexResult } from './repair-index.js';
export { repairSnapshots } from './repair-snapshots.js';
export type { RepairSnapshotsOptions, RepairSnapshotsResult, RepairedSnapshot } from './repair-snapshots.js';
export { enforceQuota, quotaLimit, repositorySize } from './quota.js';
export type { QuotaOptions, QuotaResult } from './quota.js';
export { parseMaxSize, describeMaxSize, policyFromConfig, policyToConfig, updateConfig } from './quota-settings.js';
export type { ConfigChange } from './quota-settings.js';
export { restoreUndoable } from './undoable-restore.js';
export type { UndoableRestoreOptions, UndoableRestoreResult } from './undoable-restore.js';
