import type { CodecName } from '@cairn/core';

/** A batch of blobs for the compression pool: `spans` holds (offset, length) pairs into `buffer`. */
export interface CompressTask {
  readonly buffer: ArrayBuffer;
  readonly spans: Uint32Array;
  readonly codec: CodecName;
  readonly level: number;
}

/**
 * The encoded batch, in the batch's own buffer: a blob that compresses has its frame written
 * over its plain bytes (a frame is always shorter: see encodeBlobInto), one that does not is left
 * as it is. `meta` holds three numbers per span, in order: the stored bytes' offset in `input`,
 * their length and the codec's wire code.
 */
export interface CompressResult {
  readonly input: ArrayBuffer;
  readonly meta: Int32Array;
}
