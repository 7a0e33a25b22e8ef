import type { CodecName } from '@cairn/core';

/** A batch of blobs for the compression pool: `spans` holds (offset, length) pairs into `buffer`. */
export interface CompressTask {
  readonly buffer: ArrayBuffer;
  readonly spans: Uint32Array;
  readonly codec: CodecName;
  readonly level: number;
  /** A buffer from an earlier answer the worker may write its frames into (when large enough): reused, not garbage. */
  readonly out?: ArrayBuffer;
}

/**
 * The encoded batch. `meta` holds four numbers per span, in order: where the stored bytes are
 * (0: in `input`, stored as is; 1: in `out`), their offset, their length and the codec's wire code.
 */
export interface CompressResult {
  readonly input: ArrayBuffer;
  readonly out: ArrayBuffer;
  readonly meta: Int32Array;
}
