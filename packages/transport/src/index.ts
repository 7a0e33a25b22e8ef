/**
 * @cairn/transport — where cairn's bytes live and come from on this machine: a repository in a
 * local folder (Backend), the local filesystem as a backup Source, and a local folder as a
 * restore Target. Each implements an interface of @cairn/core. MicroPython boards are
 * @cairn/device's.
 */
export { createLocalBackend, packReserve, STALE_TEMP_MS } from './local-backend.js';
export { createLocalSource } from './local-source.js';
export { nativeFs } from './native-fs.js';
export type { NativeFs } from './native-fs.js';
export { createStreamSource } from './stream-source.js';
export type { StreamSourceOptions } from './stream-source.js';
export { openArchiveSource } from './archive-source.js';
export type { ArchiveKind, ArchiveSource, ArchiveSourceOptions } from './archive-source.js';
export { createLocalTarget } from './local-target.js';
export type { LocalTargetOptions } from './local-target.js';
export { assertFileName, assertFileType, isFileName } from './file-names.js';
export { assertRange, truncatedError } from './byte-range.js';
export { concatPieces, samePieces, toPieces, totalLength } from './bytes.js';
export { parseTempFileName, TEMP_PREFIX, tempFileName, tempHost, tempWriterGone } from './exclusive-write.js';
export type { TempOwner } from './exclusive-write.js';
export { createMemoryBackend } from './memory-backend.js';
