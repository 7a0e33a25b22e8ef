/** A seeded pseudo-random source: fast, deterministic, not for cryptography. */
export interface Prng {
  /** The next 32-bit unsigned integer. */
  u32(): number;
  /** An integer in [0, n). */
  below(n: number): number;
  /** A float in [0, 1). */
  float(): number;
  /** Fills `bytes` with pseudo-random bytes. */
  fill(bytes: Uint8Array): void;
}

/**
 * Creates a xoshiro128** generator whose state comes from `seed` through splitmix32, so
 * nearby seeds give unrelated streams. Same seed, same stream (fill()
 * writes words in the machine's byte order: the same on every little-endian machine).
 */
export function createPrng(seed: number): Prng {
  if (!Number.isSafeInteger(seed)) throw new TypeError(`seed must be a safe integer, not ${String(seed)}`);
  let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix();
  let s1 = splitmix();
  let s2 = splitmix();
  let s3 = splitmix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const u32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  return {
    u32,
    below(n) {
      if (!(n > 0) || n > 2 ** 32) throw new RangeError(`below() wants 0 < n <= 2^32, not ${String(n)}`);
      return Math.floor((u32() / 2 ** 32) * n);
    },
    float: () => u32() / 2 ** 32,
    fill(bytes) {
      const words = bytes.byteLength >>> 2;
      const aligned = bytes.byteOffset % 4 === 0;
      if (aligned && words > 0) {
        const view = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
        for (let i = 0; i < words; i += 1) view[i] = u32();
      }
      for (let i = aligned ? words * 4 : 0; i < bytes.byteLength; i += 4) {
        const r = u32();
        for (let k = 0; k < 4 && i + k < bytes.byteLength; k += 1) bytes[i + k] = (r >>> (8 * k)) & 0xff;
      }
    },
  };
}

/** A seed for a named part of a generator, so that each part has its own stream. */
export function subSeed(seed: number, part: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(part + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d);
  z = Math.imul(z ^ (z >>> 12), 0x297a2d39);
  return (z ^ (z >>> 15)) >>> 0;
}

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
