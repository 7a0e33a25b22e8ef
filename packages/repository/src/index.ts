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
export { restore } from './restorer.js';
export type { RestoreOptions, RestoreResult, RestoreAction, RestoreProblem, OverwritePolicy } from './restorer.js';
export { check } from './checker.js';
export type { CheckOptions, CheckResult, CheckProblem } from './checker.js';
export { listSnapshots, findSnapshot, readSnapshot } from './snapshots.js';
export type { SnapshotEntry, SnapshotProblem } from './snapshots.js';
export { listSnapshot } from './ls.js';
export type { ListEntry } from './ls.js';
export { stats } from './stats.js';
export type { RepositoryStats } from './stats.js';
export { catObject, CAT_KINDS } from './cat.js';
export type { CatKind } from './cat.js';
export { packFileName } from './names.js';
