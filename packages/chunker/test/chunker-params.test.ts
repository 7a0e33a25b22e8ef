import { describe, expect, it } from 'vitest';
import { DEFAULT_CHUNKER_PARAMS } from '@cairn/chunker';
import { validateChunkerParams } from '../src/chunker-params.js';
import type { ChunkerParams } from '@cairn/chunker';

const KiB = 1024;

describe('validateChunkerParams', () => {
  it('accepts the defaults and the fastcdc extremes', () => {
    expect(DEFAULT_CHUNKER_PARAMS).toEqual({ min: 512 * KiB, avg: 1024 * KiB, max: 8192 * KiB });
    expect(validateChunkerParams(DEFAULT_CHUNKER_PARAMS)).toBe(DEFAULT_CHUNKER_PARAMS);
    expect(validateChunkerParams({ min: 64, avg: 256, max: 1024 })).toEqual({ min: 64, avg: 256, max: 1024 });
    const top = { min: 64 * KiB * KiB, avg: 256 * KiB * KiB, max: KiB * KiB * KiB };
    expect(validateChunkerParams(top)).toBe(top);
  });

  it.each<[ChunkerParams, RegExp]>([
    [{ min: 63, avg: 256, max: 1024 }, /min .*\[64, 67108864\], got 63/],
    [{ min: 64 * KiB * KiB + 1, avg: 256 * KiB * KiB, max: KiB * KiB * KiB }, /min .* got 67108865/],
    [{ min: 64, avg: 255, max: 1024 }, /avg .* got 255/],
    [{ min: 64, avg: 256, max: 1023 }, /max .* got 1023/],
    [{ min: 64, avg: 256, max: KiB * KiB * KiB + 1 }, /max .* got 1073741825/],
    [{ min: 64.5, avg: 256, max: 1024 }, /min .* got 64.5/],
    [{ min: 64, avg: Number.NaN, max: 1024 }, /avg .* got NaN/],
    [{ min: 2048, avg: 1024, max: 4096 }, /min \(2048\) must not exceed avg \(1024\)/],
    [{ min: 64, avg: 4096, max: 2048 }, /avg \(4096\) must not exceed max \(2048\)/],
  ])('rejects %o with a RangeError', (params, message) => {
    expect(() => validateChunkerParams(params)).toThrow(RangeError);
    expect(() => validateChunkerParams(params)).toThrow(message);
  });

  it('rejects values that are not numbers with a TypeError', () => {
    expect(() => validateChunkerParams({ min: '64', avg: 256, max: 1024 } as unknown as ChunkerParams)).toThrow(TypeError);
    expect(() => validateChunkerParams(null as unknown as ChunkerParams)).toThrow(TypeError);
  });
});
