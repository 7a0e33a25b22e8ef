import { blobTypeCode, codecCode } from '@cairn/core';
import type { BlobType, CodecName } from '@cairn/core';

/** The wire code of a blob type (the table is core's); TypeError naming the value for anything else. */
export function requireBlobTypeCode(type: BlobType): number {
  const code = blobTypeCode(type);
  if (code < 0) throw new TypeError(`not a blob type: ${JSON.stringify(type)}`);
  return code;
}

/** The wire code of a codec (the table is core's); TypeError naming the value for anything else. */
export function requireCodecCode(codec: CodecName): number {
  const code = codecCode(codec);
  if (code < 0) throw new TypeError(`not a codec: ${JSON.stringify(codec)}`);
  return code;
}
