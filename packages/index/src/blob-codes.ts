import type { BlobType, CodecName } from '@cairn/core';

// The numeric codes of index files (and of pack headers, which use the same table).
const TYPES: readonly BlobType[] = ['data', 'tree'];
const CODECS: readonly CodecName[] = ['none', 'zstd'];

/** The wire code of a blob type: 0 data, 1 tree; -1 when `type` is not one. */
export function blobTypeCode(type: unknown): number {
  return TYPES.indexOf(type as BlobType);
}

/** The wire code of a codec: 0 none, 1 zstd; -1 when `codec` is not one. */
export function codecCode(codec: unknown): number {
  return CODECS.indexOf(codec as CodecName);
}

/** The blob type of a wire code, or undefined for an unknown code. */
export function blobTypeOf(code: number): BlobType | undefined {
  return TYPES[code];
}

/** The codec of a wire code, or undefined for an unknown code. */
export function codecOf(code: number): CodecName | undefined {
  return CODECS[code];
}
