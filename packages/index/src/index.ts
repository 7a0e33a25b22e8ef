/**
 * @cairn/index — the bytes of a repository's metadata, and the blob index in memory.
 * Encoders and decoders for index files, trees, snapshots (msgpack) and the config (JSON),
 * plain-JSON views of them for `cairn cat --json`, and `createBlobIndex`, a compact
 * typed-array hash index from blob id to pack location. It never touches a filesystem
 * or a network: callers pass bytes in and get bytes out.
 */
export { createBlobIndex } from './blob-index.js';
export type { BlobIndex, BlobLocation, BlobColumns } from './blob-index.js';
export { encodeIndexFile, decodeIndexFile, scanIndexFile, addIndexFile, readIndexFileEntries } from './index-file.js';
export type { IndexPack, ScannedIndexFile, IndexFileEntries } from './index-file.js';
export { ScanMiss } from './msgpack-cursor.js';
export { encodeTree, decodeTree } from './tree.js';
export { scanTree, listNodes } from './tree-scan.js';
export type { TreeListing } from './tree-scan.js';
export type { TreeNode } from './tree-node.js';
export { encodeSnapshot, decodeSnapshot } from './snapshot.js';
export type { Snapshot, SnapshotSummary, SnapshotWorkingCopy, SkippedEntry, ClassCount } from './snapshot.js';
export { encodeConfig, decodeConfig, CONFIG_LIMITS } from './config.js';
export { parseCalendarDuration, MAX_DURATION_YEARS } from './calendar-duration.js';
export type { CalendarDuration } from './calendar-duration.js';
export type { RepoConfig, ConfigMaxSize, ConfigRetention, RetentionCount } from './config.js';
export { treeToJson, snapshotToJson, indexFileToJson } from './json-views.js';
export type { TreeNodeJson, SnapshotJson, IndexPackJson } from './json-views.js';
export { nsToIso } from './ns-time.js';
export { DELTA_FORMAT_VERSION, GROUP_FORMAT_VERSION } from './format-version.js';
