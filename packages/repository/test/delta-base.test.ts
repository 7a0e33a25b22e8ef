import { describe, expect, it } from 'vitest';
import type { Id } from '@cairn/core';
import { deltaBaseChooser } from '../src/backup/delta-base.js';

const id = (n: number): Id => new Uint8Array(32).fill(n);

describe('the delta base of a new chunk', () => {
  it('is the parent chunk it overlaps most, the parent\'s last past its end, and none without a parent file', () => {
    const lengths = new Map([[1, 100], [2, 300], [3, 50]]);
    const index = { lookup: (blob: Id) => ({ rawLength: lengths.get(blob[0]!)! }) } as never;
    const choose = deltaBaseChooser([id(1), id(2), id(3)], index);
    expect(choose(0, 90)?.[0]).toBe(1);
    expect(choose(80, 100)?.[0]).toBe(2); // 20 bytes of chunk 1, 80 of chunk 2
    expect(choose(390, 100)?.[0]).toBe(3); // 10 of chunk 2, 50 of chunk 3
    expect(choose(1000, 10)?.[0]).toBe(3);
    expect(deltaBaseChooser(undefined, index)(0, 10)).toBeUndefined();
    expect(deltaBaseChooser([], index)(0, 10)).toBeUndefined();
  });
});
