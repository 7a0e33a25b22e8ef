/** A zstd implementation: both write standard zstd frames and read each other's. */
export interface ZstdCodec {
  readonly name: 'zstd-napi' | 'zstd-codec';
  /** Compresses `data` into one zstd frame at `level` (an integer in [MIN_ZSTD_LEVEL, MAX_ZSTD_LEVEL]). */
  compress(data: Uint8Array, level: number): Uint8Array;
  /**
   * Optional: compresses `data` into `destination` (at least `compressBound(data.length)` bytes
   * long) and returns the frame's length; no allocation per call.
   */
  compressInto?(destination: Uint8Array, data: Uint8Array, level: number): number;
  /** Optional, with compressInto: the largest frame `length` bytes can compress into. */
  compressBound?(length: number): number;
  /** Decompresses one frame that must hold exactly `rawLength` bytes; ERR_INTEGRITY otherwise. */
  decompress(data: Uint8Array, rawLength: number): Uint8Array;
  /** Optional: decompress, writing into `destination` (exactly the frame's length); no allocation per call. */
  decompressInto?(destination: Uint8Array, data: Uint8Array): void;
  /**
   * Optional (delta blobs): compresses `data` into one frame with `base` as a raw-content
   * dictionary (libzstd's ZSTD_compress_usingDict). Absent when the codec cannot: the WASM one.
   */
  compressWithBase?(data: Uint8Array, base: Uint8Array, level: number): Uint8Array;
  /** Optional, with compressWithBase: decompresses a frame made with `base` into `destination` (exactly its length). */
  decompressWithBase?(destination: Uint8Array, data: Uint8Array, base: Uint8Array): void;
}

/** The lowest compression level cairn accepts. */
export const MIN_ZSTD_LEVEL = 1;
/** The highest level cairn accepts: above it zstd's window outgrows what the WASM codec can read. */
export const MAX_ZSTD_LEVEL = 19;
/** zstd's own default level, a good speed/size balance for backups. */
export const DEFAULT_ZSTD_LEVEL = 3;

/** Throws a RangeError naming `level` unless it is an integer in [MIN_ZSTD_LEVEL, MAX_ZSTD_LEVEL]. */
export function checkZstdLevel(level: number): void {
  if (!Number.isInteger(level) || level < MIN_ZSTD_LEVEL || level > MAX_ZSTD_LEVEL) {
    throw new RangeError(`zstd level must be an integer in [${MIN_ZSTD_LEVEL}, ${MAX_ZSTD_LEVEL}], got ${level}`);
  }
}

/** Throws a RangeError naming `rawLength` unless it is a byte count. */
export function checkRawLength(rawLength: number): void {
  if (!Number.isSafeInteger(rawLength) || rawLength < 0) {
    throw new RangeError(`rawLength must be a non-negative integer, got ${rawLength}`);
  }
}
