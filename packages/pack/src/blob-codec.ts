import { CairnError } from '@cairn/core';
import type { CodecName, Id } from '@cairn/core';
import { checkRawLength, checkZstdLevel } from './zstd-codec.js';
import type { ZstdCodec } from './zstd-codec.js';
import { startsLikeDictionary } from './zstd-native.js';

/** A blob as it is stored in a pack: its bytes, how they are encoded and the plaintext length. */
export interface EncodedBlob {
  readonly codec: CodecName;
  readonly data: Uint8Array;
  readonly rawLength: number;
  /** A delta's base blob (codec 'delta' only): see encodeDelta. */
  readonly base?: Id;
}

/** Blobs shorter than this are stored as they are: a zstd frame's own overhead eats the gain. */
export const MIN_COMPRESSED_BLOB = 64;

/** Blobs at least this long are probed before they are compressed whole (see encodeBlob). */
export const PROBE_MIN_BLOB = 128 * 1024;
const PROBE_LENGTH = 32 * 1024;

/** How encodeBlob decides. */
export interface EncodeOptions {
  /**
   * Compress a 32 KiB sample from the middle of a blob of PROBE_MIN_BLOB bytes or more at level 1
   * first, and store the blob as is when the sample does not shrink below 97%: already-compressed
   * data (media, archives, random bytes) then costs no full compression. Default false.
   */
  readonly probe?: boolean;
}

/**
 * Encodes a blob for a pack. It is zstd-compressed at `level` and kept so when the frame is at
 * most 98% of the raw size; otherwise (and when `zstd` is null, the blob is shorter than
 * MIN_COMPRESSED_BLOB, or a probe says it will not shrink) it is stored as is, with codec 'none'
 * and `data` being `raw` itself.
 */
export function encodeBlob(raw: Uint8Array, zstd: ZstdCodec | null, level: number, options: EncodeOptions = {}): EncodedBlob {
  if (!(raw instanceof Uint8Array)) throw new TypeError('encodeBlob: raw must be a Uint8Array');
  checkZstdLevel(level);
  if (zstd !== null && raw.length >= MIN_COMPRESSED_BLOB && !(options.probe === true && incompressible(raw, zstd))) {
    const frame = zstd.compress(raw, level);
    if (frame.length * 50 <= raw.length * 49) return { codec: 'zstd', data: frame, rawLength: raw.length, base: undefined };
  }
  return { codec: 'none', data: raw, rawLength: raw.length, base: undefined };
}

/**
 * encodeBlob, writing a compressed frame into `destination` (at least the codec's
 * compressBound of `raw.length` bytes) instead of a new buffer when the codec can. A blob
 * stored as is has `data` = `raw`; a compressed one a view of `destination`.
 */
export function encodeBlobInto(raw: Uint8Array, zstd: ZstdCodec | null, level: number, destination: Uint8Array, options: EncodeOptions = {}): EncodedBlob {
  if (zstd?.compressInto === undefined) return encodeBlob(raw, zstd, level, options);
  checkZstdLevel(level);
  if (raw.length >= MIN_COMPRESSED_BLOB && !(options.probe === true && incompressible(raw, zstd))) {
    const length = zstd.compressInto(destination, raw, level);
    if (length * 50 <= raw.length * 49) return { codec: 'zstd', data: destination.subarray(0, length), rawLength: raw.length, base: undefined };
  }
  return { codec: 'none', data: raw, rawLength: raw.length, base: undefined };
}

function incompressible(raw: Uint8Array, zstd: ZstdCodec): boolean {
  if (raw.length < PROBE_MIN_BLOB) return false;
  const start = (raw.length - PROBE_LENGTH) >> 1;
  const sample = raw.subarray(start, start + PROBE_LENGTH);
  return zstd.compress(sample, 1).length * 100 > sample.length * 97;
}

/**
 * A delta is kept only when its frame is at most this fraction of the blob's plain encoding
 * (3/4): a delta costs a read of its base at restore, so it must clearly pay for itself.
 */
const DELTA_GAIN = { num: 3, den: 4 } as const;

/**
 * A delta frame at most this fraction of the raw blob (1/16) is kept without the blob's plain
 * encoding to compare, when the caller has not made it (a plain frame 12 times smaller than the
 * blob is rare, and such a delta is small either way): a near-copy then costs one compression, not two.
 */
const DELTA_SURE = { num: 1, den: 16 } as const;

/**
 * Encodes `raw` as a delta against `base` (the plaintext of the data blob `baseId`) when the codec can
 * and the delta frame is clearly smaller than `plain`, the blob's ordinary encoding (at most
 * 3/4 of it); null otherwise (the caller stores `plain`). `plain` may be a function making the
 * ordinary encoding: it is then called only for a frame more than 1/16 of `raw` (DELTA_SURE). A
 * base that starts with zstd's dictionary magic is never used (libzstd would read it as a structured dictionary).
 */
export function encodeDelta(raw: Uint8Array, base: Uint8Array, baseId: Id, plain: EncodedBlob | (() => EncodedBlob), zstd: ZstdCodec, level: number): EncodedBlob | null {
  checkZstdLevel(level);
  if (zstd.compressWithBase === undefined || raw.length < MIN_COMPRESSED_BLOB || base.length < MIN_COMPRESSED_BLOB || startsLikeDictionary(base)) return null;
  const frame = zstd.compressWithBase(raw, base, level);
  if (typeof plain !== 'function' || frame.length * DELTA_SURE.den > raw.length * DELTA_SURE.num) {
    const whole = typeof plain === 'function' ? plain() : plain;
    if (frame.length * DELTA_GAIN.den > whole.data.length * DELTA_GAIN.num) return null;
  }
  return { codec: 'delta', data: frame, rawLength: raw.length, base: baseId };
}

/**
 * One zstd frame of a group's plaintext (its members back to back), written into `destination`
 * (at least the codec's compressBound of `raw.length`, when it has compressInto); its length, or
 * -1 when the frame is not at most 98% of `raw` (the members are then stored one by one).
 */
export function encodeGroupInto(raw: Uint8Array, zstd: ZstdCodec, level: number, destination: Uint8Array): number {
  checkZstdLevel(level);
  let frame: Uint8Array;
  if (zstd.compressInto === undefined) {
    frame = zstd.compress(raw, level);
    if (frame.length > destination.length) return -1;
    destination.set(frame);
  } else {
    frame = destination.subarray(0, zstd.compressInto(destination, raw, level));
  }
  return frame.length * 50 <= raw.length * 49 ? frame.length : -1;
}

/**
 * The plaintext of a group's frame (`groupRaw` bytes, into `into` when given); ERR_INTEGRITY
 * naming `where` when it does not decompress to that length.
 */
export function decodeGroup(frame: Uint8Array, groupRaw: number, zstd: ZstdCodec, where: string, into?: Uint8Array): Uint8Array {
  return decodeBlob(frame, 'zstd', groupRaw, zstd, where, into);
}

/**
 * The plaintext of a stored blob (for codec 'none', `stored` itself), or, given `into` (of
 * `rawLength` bytes), `into` holding it. A delta (codec 'delta') needs `base`, the plaintext of
 * its base blob. Any mismatch — a length that is not `rawLength`, a frame that does not
 * decompress — is ERR_INTEGRITY naming `where`; a delta on a codec that cannot read one (the
 * WASM fallback) is ERR_UNSUPPORTED. The blob's id is not checked here: that is the repository's job.
 */
export function decodeBlob(stored: Uint8Array, codec: CodecName, rawLength: number, zstd: ZstdCodec, where: string, into?: Uint8Array, base?: Uint8Array): Uint8Array {
  if (!(stored instanceof Uint8Array)) throw new TypeError(`decodeBlob: the bytes of ${where} must be a Uint8Array`);
  checkRawLength(rawLength);
  if (into !== undefined && into.byteLength !== rawLength) throw new RangeError(`decodeBlob: into holds ${into.byteLength} bytes, not rawLength ${rawLength}`);
  switch (codec) {
    case 'none':
      if (stored.length !== rawLength) {
        throw new CairnError('ERR_INTEGRITY', `${where}: stored blob has ${stored.length} bytes, expected ${rawLength}`);
      }
      if (into === undefined) return stored;
      into.set(stored);
      return into;
    case 'zstd':
      try {
        if (into === undefined) return zstd.decompress(stored, rawLength);
        if (zstd.decompressInto === undefined) into.set(zstd.decompress(stored, rawLength));
        else zstd.decompressInto(into, stored);
        return into;
      } catch (error) {
        if (!(error instanceof CairnError)) throw error;
        throw new CairnError(error.code, `${where}: ${error.message}`, { cause: error, hint: error.hint });
      }
    case 'delta': {
      if (base === undefined) throw new CairnError('ERR_INTEGRITY', `${where}: a delta blob was read without its base`);
      if (zstd.decompressWithBase === undefined) {
        throw new CairnError('ERR_UNSUPPORTED', `${where} is a delta blob, which the ${zstd.name} codec cannot read (it has no zstd dictionary support here)`, {
          hint: 'install zstd-napi (the native zstd) to read a repository with delta blobs',
        });
      }
      const output = into ?? new Uint8Array(rawLength);
      try {
        zstd.decompressWithBase(output, stored, base);
      } catch (error) {
        if (!(error instanceof CairnError)) throw error;
        throw new CairnError(error.code, `${where}: ${error.message}`, { cause: error, hint: error.hint });
      }
      return output;
    }
    case 'group':
      throw new CairnError('ERR_INTEGRITY', `${where}: a group member is read through its group's frame (decodeGroup), not alone`);
    default:
      throw new CairnError('ERR_FORMAT', `${where}: unknown codec ${JSON.stringify(codec)}`);
  }
}
