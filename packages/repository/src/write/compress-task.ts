import { codecCode } from '@cairn/core';
import type { CodecName } from '@cairn/core';
import { encodeBlobInto, encodeGroupInto } from '@cairn/pack';
import type { ZstdCodec } from '@cairn/pack';

/**
 * How small data blobs are grouped: a run of consecutive blobs of at most `memberMax` bytes
 * each is compressed as one zstd frame of at most `bytes` plaintext (docs/FORMAT.md, "Grouped
 * small blobs"); a run of one blob, or one that does not compress, is stored blob by blob.
 */
export interface GroupLimits {
  readonly bytes: number;
  readonly memberMax: number;
}

/**
 * The group size and the small-blob threshold cairn writes with. Measured (benchmarks/BENCHMARKS.md,
 * "Small files one frame each, or grouped", and "Grouped small blobs, built"): 256 KiB groups
 * store 0.83x of one frame per file on /usr/include, for ~0.22 ms to decompress a group when
 * one small file is read alone; blobs above 64 KiB carry enough context of their own.
 */
export const GROUP_LIMITS: GroupLimits = { bytes: 256 * 1024, memberMax: 64 * 1024 };

/** A batch of blobs for the compression pool: `spans` holds (offset, length) pairs into `buffer`. */
export interface CompressTask {
  readonly buffer: ArrayBuffer;
  readonly spans: Uint32Array;
  readonly codec: CodecName;
  readonly level: number;
  /** Group small blobs (absent: every blob is a frame of its own). */
  readonly group?: GroupLimits;
}

/** Numbers per blob in CompressResult.meta. */
export const META_FIELDS = 5;

/**
 * The encoded batch, in the batch's own buffer: a blob that compresses has its frame written
 * over its plain bytes (a frame is always shorter: see encodeBlobInto), one that does not is left
 * as it is, and a group's frame is written over its members (which lie back to back). `meta`
 * holds META_FIELDS numbers per span, in order: the stored bytes' offset in `input`, their length,
 * the codec's wire code, and for a group member (codec 3; offset and length are its group's
 * frame, shared by the members that follow each other) its offset in the group's plaintext and
 * that plaintext's length.
 */
export interface CompressResult {
  readonly input: ArrayBuffer;
  readonly meta: Int32Array;
}

const GROUP_CODE = codecCode('group');

/** Where frames are written before they are copied over their blobs: one per thread, grown to the largest bound, reused. */
let scratch = new Uint8Array(0);

/** Encodes every span of `task.buffer` in place (the worker's job, and the pool's when it has no threads); see CompressResult. */
export function encodeBatch(task: CompressTask, zstd: ZstdCodec): CompressResult {
  const input = new Uint8Array(task.buffer);
  const codec = task.codec === 'zstd' ? zstd : null;
  const spans = task.spans;
  const count = spans.length / 2;
  const meta = new Int32Array(count * META_FIELDS);
  const group = codec === null ? undefined : task.group;
  const room = (length: number): void => {
    const bound = codec === null ? 0 : zstd.compressBound?.(length) ?? length + 1024;
    if (scratch.length < bound) scratch = new Uint8Array(bound);
  };
  const small = (i: number): boolean => group !== undefined && spans[i * 2 + 1]! <= group.memberMax;
  /** Blobs before this one were tried as a group that did not compress: each is encoded alone. */
  let aloneUntil = 0;
  for (let i = 0; i < count; i += 1) {
    const offset = spans[i * 2]!;
    const length = spans[i * 2 + 1]!;
    if (group !== undefined && i >= aloneUntil && small(i)) {
      // The run of small blobs from i that fits one group (the batch holds them back to back).
      let end = offset + length;
      let j = i + 1;
      while (j < count && small(j) && spans[j * 2] === end && end + spans[j * 2 + 1]! - offset <= group.bytes) {
        end += spans[j * 2 + 1]!;
        j += 1;
      }
      if (j - i >= 2) {
        room(end - offset);
        const frame = encodeGroupInto(input.subarray(offset, end), zstd, task.level, scratch);
        if (frame >= 0) {
          input.set(scratch.subarray(0, frame), offset);
          for (let k = i; k < j; k += 1) meta.set([offset, frame, GROUP_CODE, spans[k * 2]! - offset, end - offset], k * META_FIELDS);
          i = j - 1;
          continue;
        }
        aloneUntil = j;
      }
    }
    room(length);
    const raw = input.subarray(offset, offset + length);
    const blob = encodeBlobInto(raw, codec, task.level, scratch, { probe: true });
    // A frame is chosen only when shorter than the blob, so it fits where the blob was.
    if (blob.codec !== 'none') input.set(blob.data, offset);
    meta.set([offset, blob.data.length, codecCode(blob.codec), 0, 0], i * META_FIELDS);
  }
  return { input: task.buffer, meta };
}
