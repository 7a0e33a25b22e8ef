/** Sizes, in bytes, that steer content-defined chunking. */
export interface ChunkerParams {
  /** No chunk but the last of a stream is shorter. */
  readonly min: number;
  /** The size chunks gravitate to. */
  readonly avg: number;
  /** No chunk is longer: a cut is forced here when the content offers none. */
  readonly max: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** cairn's chunk sizes: 512 KiB minimum, 1 MiB average, 8 MiB maximum. */
export const DEFAULT_CHUNKER_PARAMS: ChunkerParams = Object.freeze({ min: 512 * KiB, avg: 1 * MiB, max: 8 * MiB });

// The bounds fastcdc 1.0 (the crate inside fastcdc-wasm) asserts; breaking one panics inside WASM.
const LIMITS = {
  min: [64, 64 * MiB],
  avg: [256, 256 * MiB],
  max: [1024, 1024 * MiB],
} as const;

/** Returns `p` when its sizes are integers within fastcdc's limits with min <= avg <= max; RangeError naming the value otherwise. */
export function validateChunkerParams(p: ChunkerParams): ChunkerParams {
  if (typeof p !== 'object' || p === null) throw new TypeError(`chunker params must be an object, got ${String(p)}`);
  for (const key of ['min', 'avg', 'max'] as const) {
    const value: unknown = p[key];
    const [low, high] = LIMITS[key];
    if (typeof value !== 'number') throw new TypeError(`chunker ${key} must be a number, got ${typeof value}`);
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new RangeError(`chunker ${key} must be an integer in [${low}, ${high}], got ${value}`);
    }
  }
  if (p.min > p.avg) throw new RangeError(`chunker min (${p.min}) must not exceed avg (${p.avg})`);
  if (p.avg > p.max) throw new RangeError(`chunker avg (${p.avg}) must not exceed max (${p.max})`);
  return p;
}
