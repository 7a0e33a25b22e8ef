import type { Id } from './hex.js';

/** What a blob holds: file content or a tree (a folder listing). */
export type BlobType = 'data' | 'tree';

/**
 * How a blob's bytes are stored in its pack: as is, one zstd frame, a delta: one zstd frame
 * compressed with the plaintext of another data blob (its base) as a raw-content dictionary, or
 * a group member: its stored range is one zstd frame shared by several small data blobs (its
 * group), and the blob is the `rawLength` bytes at `groupAt` of the group's plaintext.
 */
export type CodecName = 'none' | 'zstd' | 'delta' | 'group';

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
  /** A delta's base: the data blob whose plaintext is the frame's dictionary (codec 'delta' only). */
  readonly base?: Id;
  /** A group member's offset in its group's plaintext (codec 'group' only). */
  readonly groupAt?: number;
  /** The plaintext length of a group member's whole group (codec 'group' only). */
  readonly groupRaw?: number;
}

/**
 * A PackedBlob with every field present, in one order (those that do not apply undefined): the
 * pack builder's entries all have one shape, so the code that reads them (the index's addPack,
 * the writer's onPack) stays optimized when deltas or groups first appear in a backup.
 */
export function packedBlob(id: Id, type: BlobType, offset: number, length: number, rawLength: number, codec: CodecName, base?: Id, groupAt?: number, groupRaw?: number): PackedBlob {
  return { id, type, offset, length, rawLength, codec, base, groupAt, groupRaw };
}

// The wire codes of pack headers and index files: a code is the position in its list.
// New codes only ever go at the end.
const BLOB_TYPES: readonly BlobType[] = ['data', 'tree'];
const CODECS: readonly CodecName[] = ['none', 'zstd', 'delta', 'group'];

/** The wire code of a blob type (0 data, 1 tree), or -1 when `type` is not one. */
export function blobTypeCode(type: unknown): number {
  return BLOB_TYPES.indexOf(type as BlobType);
}

/** The wire code of a codec (0 none, 1 zstd, 2 delta, 3 group), or -1 when `codec` is not one. */
export function codecCode(codec: unknown): number {
  return CODECS.indexOf(codec as CodecName);
}

/** The blob type of a wire code, or undefined for an unknown code. */
export function blobTypeFromCode(code: number): BlobType | undefined {
  return Number.isInteger(code) ? BLOB_TYPES[code] : undefined;
}

/** The codec of a wire code, or undefined for an unknown code. */
export function codecFromCode(code: number): CodecName | undefined {
  return Number.isInteger(code) ? CODECS[code] : undefined;
}
