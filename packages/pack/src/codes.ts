import type { BlobType, CodecName } from '@cairn/core';

// The one table of wire codes: a code is the position in its list. Pack headers use them
// (and index files may too); new codes only ever go at the end.
const BLOB_TYPES: readonly BlobType[] = ['data', 'tree'];
const CODECS: readonly CodecName[] = ['none', 'zstd'];

/** The wire code of a blob type (0 data, 1 tree); TypeError naming the value for anything else. */
export function blobTypeCode(type: BlobType): number {
  const code = BLOB_TYPES.indexOf(type);
  if (code < 0) throw new TypeError(`not a blob type: ${JSON.stringify(type)}`);
  return code;
}

/** The wire code of a codec (0 none, 1 zstd); TypeError naming the value for anything else. */
export function codecCode(codec: CodecName): number {
  const code = CODECS.indexOf(codec);
  if (code < 0) throw new TypeError(`not a codec: ${JSON.stringify(codec)}`);
  return code;
}

/** The blob type of a wire code, or undefined when the code is unknown. */
export function blobTypeFromCode(code: number): BlobType | undefined {
  return Number.isInteger(code) ? BLOB_TYPES[code] : undefined;
}

/** The codec of a wire code, or undefined when the code is unknown. */
export function codecFromCode(code: number): CodecName | undefined {
  return Number.isInteger(code) ? CODECS[code] : undefined;
}
