/**
 * @cairn/repository/testing — for tests that craft or damage repositories: a blob writer that
 * stores blobs directly, where a pack's file lives, and which packs a `check --read-data` subset
 * selects.
 */
export { createBlobWriter } from './write/blob-writer.js';
export type { BlobWriter, BlobWriterOptions, BlobCompression, WriteStats } from './write/blob-writer.js';
export { packFileName } from './repo/names.js';
export { selectSubset } from './check/checker.js';
