import { describe, expect, it } from 'vitest';
import { createPrng, subSeed } from '../src/prng.js';

describe('createPrng', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = createPrng(1);
    const b = createPrng(1);
    const c = createPrng(2);
    const first = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(first);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(first);
    expect(new Set(first).size).toBe(8);
  });

  it('keeps below() in range and fills unaligned buffers of any length', () => {
    const prng = createPrng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1_000; i += 1) seen.add(prng.below(5));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    const bytes = new Uint8Array(1_003);
    prng.fill(bytes.subarray(1, 1_002));
    expect(bytes[0]).toBe(0);
    expect(bytes[1_002]).toBe(0);
    expect(new Set(bytes.subarray(1, 1_002)).size).toBeGreaterThan(200);
  });

  it('rejects a seed that is not a safe integer and an empty range', () => {
    expect(() => createPrng(1.5)).toThrow(TypeError);
    expect(() => createPrng(1).below(0)).toThrow(RangeError);
  });

  it('derives different seeds for different parts', () => {
    expect(subSeed(1, 0)).not.toBe(subSeed(1, 1));
    expect(subSeed(1, 0)).not.toBe(subSeed(2, 0));
    expect(subSeed(1, 3)).toBe(subSeed(1, 3));
  });
});
