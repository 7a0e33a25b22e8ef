import { describe, expect, it } from 'vitest';
import { formatBytes } from '@cairn/core';

describe('formatBytes', () => {
  it('writes bytes below 1 KiB as a whole number of B', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });

  it('writes two decimals below 10 of a unit and one from 10', () => {
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536 * 1024)).toBe('1.50 MiB');
    expect(formatBytes(10 * 1024)).toBe('10.0 KiB');
    expect(formatBytes(123.45 * 2 ** 30)).toBe('123.5 GiB');
  });

  it('stops at TiB', () => {
    expect(formatBytes(2048 * 2 ** 40)).toBe('2048.0 TiB');
  });

  it('writes a fixed number of decimals when asked', () => {
    expect(formatBytes(2 * 2 ** 30, { decimals: 1 })).toBe('2.0 GiB');
    expect(formatBytes(1536, { decimals: 1 })).toBe('1.5 KiB');
    expect(formatBytes(500, { decimals: 1 })).toBe('500 B');
  });
});
