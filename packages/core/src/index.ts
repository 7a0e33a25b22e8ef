/**
 * @cairn/core — the types, interfaces and error model every cairn package shares.
 * It imports nothing of cairn's own: ids, the ports (Backend, Source, Target, the entry selector
 * a backup asks and the working-copy rebuilder a restore calls), the target checks every Target
 * runs on its arguments, the byte formatter, and CairnError with its closed set of codes.
 */
export { CairnError, isCairnError, fromSystemError } from './errors.js';
export type { ErrorCode, CairnErrorOptions } from './errors.js';
export { ID_LENGTH, toHex, fromHex, isHexId, idEquals, shortId } from './hex.js';
export { nameFromBytes, nameFromQueryText, nameToBytes, holdsRawBytes, compareNames, wellFormedText } from './names.js';
export type { Id } from './hex.js';
export type { Backend, FileHint, FileType, FileInfo, FileWriter, ByteRange, StorageSpace } from './backend.js';
export type { NodeType, EntryStat, EntryMetadata, Xattr, FileRef } from './node.js';
export type { DirEntry, Source, SourceDir, SourceFile, Target, TargetFile, WholeFile, WholeRead } from './source.js';
export { assertTargetPath, assertMetadata } from './target-checks.js';
export type { EntrySelector, EntryDecision, SelectedWorkingCopy, PreviousWorkingCopy, WorkingCopyMode } from './entry-selector.js';
export type { WorkingCopyRebuilder, RecordedWorkingCopy, RebuildReport, ExtrasFolder } from './working-copy-rebuilder.js';
export { blobTypeCode, codecCode, blobTypeFromCode, codecFromCode, packedBlob } from './blob.js';
export type { BlobType, CodecName, PackedBlob } from './blob.js';
export { formatBytes } from './bytes-text.js';
export type { FormatBytesOptions } from './bytes-text.js';
export { workerModule } from './worker-module.js';
export type { WorkerModule } from './worker-module.js';
export { lazyModule } from './lazy-module.js';
export { defaultCacheDir } from './cache-dir.js';
export { IMPORT_HOOK, importModule } from './import-module.js';
