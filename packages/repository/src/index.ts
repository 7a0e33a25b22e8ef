/**
 * @cairn/repository — the cairn engine that embedders call: create or open a repository on a
 * Backend, back up a Source into snapshots, restore them into a Target, copy snapshots between
 * repositories, check, repair, list and measure what is stored, and protect files a program is
 * about to change (createProtector). Keeping a repository's size in check (forget, prune,
 * retention, the size limit) is `@cairn/repository/maintenance`; locks and leases are
 * `@cairn/repository/locks`; helpers that craft repositories for tests are `@cairn/repository/testing`.
 */
export { initRepository, openRepository } from './repo/repository.js';
export type { Repository, InitOptions, OpenOptions } from './repo/repository.js';
export { addKey, changePassword, listKeys, removeKey } from './repo/keys.js';
export type { KeyEntry, KeyedRepository, PasswordSource, RepositoryKey } from './repo/keys.js';
export { contentIds } from './repo/content-ids.js';
export { CIPHER_NAMES } from '@cairn/pack';
export type { CipherName } from '@cairn/pack';
export type { ContentIds } from './repo/content-ids.js';
export type { IndexProblem } from './repo/index-files.js';
export { listSnapshots, findSnapshot, findSnapshotAmong, createSnapshotCache, snapshotKind, matchesFilter, isEmptyFilter, describeFilter, PRE_RESTORE_TAG, PROTECT_TAG, PROTECT_REASON_KEY, VERSION } from './repo/snapshots.js';
export type { SnapshotEntry, SnapshotProblem, SnapshotKind, FindSnapshotOptions, SnapshotFilter, SnapshotCache } from './repo/snapshots.js';
export { parseCalendarDuration, parseInterval } from './repo/durations.js';
export type { CalendarDuration } from './repo/durations.js';
export { backup, resolveBackupPaths } from './backup/archiver.js';
export { dryRunBackup } from './backup/dry-run.js';
export type { DryRunResult } from './backup/dry-run.js';
export type { BackupOptions, BackupResult, BackupProgress, BackupTotal, BackupWarning, BackupWarningKind, BackupEntry, BackupEntryStatus } from './backup/backup-types.js';
export { createExclusions, EXCLUDED_CLASS, parseExcludeMarker, parseExcludeSize } from './backup/exclusions.js';
export type { ExcludeMarker, ExcludeOptions, Exclusions } from './backup/exclusions.js';
export { compileExcludePattern } from './backup/exclude-pattern.js';
export type { ExcludePattern } from './backup/exclude-pattern.js';
export { compressionSetting, COMPRESSION_MODES, parseCompressionMode } from './write/compression.js';
export type { CompressionMode } from './write/compression.js';
export { copySnapshots, COPIED_FROM, COPIED_TREE } from './copy/copy.js';
export type { CopyOptions, CopyProgress, CopyResult, CopiedSnapshot } from './copy/copy.js';
export { restore } from './restore/restorer.js';
export type { RestoreOptions, RestoreResult, RestoreAction, RestoreProblem, RestoreProgress, OverwritePolicy } from './restore/restorer.js';
export { restoreUndoable } from './restore/undoable-restore.js';
export type { UndoableRestoreOptions, UndoableRestoreResult } from './restore/undoable-restore.js';
export { restoreFile } from './restore/restore-file.js';
export type { RestoreFileOptions, RestoreFileResult } from './restore/restore-file.js';
export { check, parseDataSubset } from './check/checker.js';
export type { CheckOptions, CheckResult, CheckProblem, DataSubset } from './check/checker.js';
export { repairIndex } from './check/repair-index.js';
export type { RepairIndexOptions, RepairIndexResult } from './check/repair-index.js';
export { repairSnapshots } from './check/repair-snapshots.js';
export type { RepairSnapshotsOptions, RepairSnapshotsResult, RepairedSnapshot } from './check/repair-snapshots.js';
export { listSnapshot } from './inspect/ls.js';
export type { ListEntry } from './inspect/ls.js';
export { findInSnapshots } from './inspect/find.js';
export type { FindQuery, FindMatch, FindResult } from './inspect/find.js';
export { compileFindPattern } from './inspect/find-pattern.js';
export type { FindPattern, PatternState } from './inspect/find-pattern.js';
export { createSharedTreeWalk } from './inspect/snapshot-walk.js';
export type { SharedTreeWalk, SharedTreeWalkOptions, TreeFold, TreeStep, TreeChild } from './inspect/snapshot-walk.js';
export { stats } from './inspect/stats.js';
export type { RepositoryStats } from './inspect/stats.js';
export { catObject, CAT_KINDS } from './inspect/cat.js';
export { grep } from './inspect/grep.js';
export type { GrepOptions, GrepHit, GrepSummary, GrepSnapshot, GrepProgress } from './inspect/grep.js';
export type { GrepPattern, GrepLine } from './inspect/grep-matcher.js';
export { pickaxe } from './inspect/grep-pickaxe.js';
export type { PickaxeSpan } from './inspect/grep-pickaxe.js';
export type { CatKind } from './inspect/cat.js';
export { fileVersions, snapshotPathOf, contentIdOf } from './inspect/file-versions.js';
export type { FileVersion, FileVersionHolder, FileVersionsResult } from './inspect/file-versions.js';
export { dumpFile, findFile } from './inspect/dump.js';
export { verifyFileContent } from './inspect/verify-version.js';
export type { ContentCheck } from './inspect/verify-version.js';
export type { FoundFile } from './inspect/dump.js';
export { ARCHIVE_FORMATS, dumpArchive } from './inspect/dump-archive.js';
export type { ArchiveFormat, DumpArchiveOptions } from './inspect/dump-archive.js';
export { diffSnapshots, contentKey, DIFF_MARKS } from './inspect/diff.js';
export type { DiffChange, DiffCounts, DiffKind, DiffResult, DiffSide, DiffSummary } from './inspect/diff.js';
export { diffContent, MAX_TEXT_DIFF_BYTES, TEXT_SNIFF_BYTES } from './inspect/diff-content.js';
export type { ContentDiff, ContentDiffOptions } from './inspect/diff-content.js';
export { createTreeSizer } from './tree/tree-size.js';
export type { TreeSize } from './tree/tree-size.js';
export { absentIn, createProtector, protect, withProtection, PROTECT_TOOL_KEY, PROTECT_ABSENT_KEY } from './protect/protector.js';
export type { Protector, ProtectCallOptions } from './protect/protector.js';
export { DEFAULT_PROTECT_KEEP } from './protect/protect-types.js';
export type { ProtectHandle, ProtectOptions, ProtectorOptions, ProtectState, RollbackResult } from './protect/protect-types.js';
export { PROTECT_LEASE_KEY } from './protect/protect-retention.js';
