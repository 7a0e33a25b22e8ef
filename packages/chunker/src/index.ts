/**
 * @cairn/chunker — splits file content into content-defined chunks (FastCDC, via fastcdc-wasm)
 * and names each chunk by its SHA-256, so that unchanged stretches of a changed file dedupe.
 * Boundaries depend only on the content, never on how it was read.
 */
export { DEFAULT_CHUNKER_PARAMS } from './chunker-params.js';
export type { ChunkerParams } from './chunker-params.js';
export { createChunker } from './streaming-chunker.js';
export type { StreamingChunker, ChunkerOptions } from './streaming-chunker.js';
export { blobId, keyedBlobId } from './blob-id.js';
