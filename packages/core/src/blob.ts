import type { Id } from './hex.js';

/** What a blob holds: file content or a tree (a folder listing). */
export type BlobType = 'data' | 'tree';

/** How a blob's bytes are stored in its pack. */
export type CodecName = 'none' | 'zstd';

/** Where one blob sits in a pack and how to decode it. */
export interface PackedBlob {
  readonly id: Id;
  readonly type: BlobType;
  /** Byte offset of the stored blob in its pack. */
  readonly offset: number;
  /** Stored (possibly compressed) length. */
  readonly length: number;
  /** Length of the plaintext, whose SHA-256 is `id`. */
  readonly rawLength: number;
  readonly codec: CodecName;
}
