/**
 * @cairn/transport/backend-kit — the rules every Backend shares, for the backends of other
 * packages (the remote ones): file name and range checks, the ERR_INTEGRITY of a short read, write
 * pieces, temporary file names, and the in-memory backend to build tests on.
 */
export { assertFileName, assertFileType, isFileName } from './file-names.js';
export { assertRange, truncatedError } from './byte-range.js';
export { concatPieces, samePieces, toPieces, totalLength } from './bytes.js';
export { parseTempFileName, TEMP_PREFIX, tempFileName, tempHost } from './exclusive-write.js';
export type { TempOwner } from './exclusive-write.js';
export { STALE_TEMP_MS } from './local-backend.js';
export { createMemoryBackend } from './memory-backend.js';
