import { describe, expect, it } from 'vitest';
import { DecodeArena } from '../src/repo/decode-arena.js';
import type { ArenaRegion } from '../src/repo/decode-arena.js';

/** True when no two of `regions` share a byte. */
function disjoint(regions: readonly ArenaRegion[]): boolean {
  const sorted = [...regions].sort((a, b) => a.start - b.start);
  return sorted.every((region, i) => i === 0 || sorted[i - 1]!.end <= region.start);
}

describe('DecodeArena', () => {
  it('hands out regions one after the other, wraps to the start once the oldest is freed, and never overlaps a live region', () => {
    const arena = new DecodeArena(100);
    const a = arena.take(40)!;
    const b = arena.take(40)!;
    expect([a.start, b.start]).toEqual([0, 40]);
    expect(arena.take(30)).toBeUndefined(); // 20 left at the end, a still live
    arena.free(b); // freed out of order: its room waits for a
    expect(arena.take(30)).toBeUndefined();
    arena.free(a);
    const c = arena.take(30)!;
    expect(c.start).toBe(0);
    const d = arena.take(30)!;
    expect(d.start).toBe(30);
    const e = arena.take(40)!;
    expect(e.start).toBe(60);
    expect(arena.take(1)).toBeUndefined();
    arena.free(c);
    const f = arena.take(25)!; // wrapped: from the start up to d
    expect(f.start).toBe(0);
    expect(disjoint([d, e, f])).toBe(true);
    expect(arena.take(10)).toBeUndefined(); // 5 bytes before d
    expect(arena.take(101)).toBeUndefined();
  });

  it('keeps live regions apart through a long random run of takes and frees', () => {
    const arena = new DecodeArena(1000);
    let x = 11;
    const rnd = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const live: ArenaRegion[] = [];
    let taken = 0;
    for (let i = 0; i < 5000; i += 1) {
      if (live.length > 0 && rnd(3) === 0) arena.free(live.splice(rnd(live.length), 1)[0]!);
      const region = arena.take(1 + rnd(300));
      if (region === undefined) continue;
      taken += 1;
      expect(region.end).toBeLessThanOrEqual(1000);
      live.push(region);
      expect(disjoint(live)).toBe(true);
    }
    expect(taken).toBeGreaterThan(1000);
  });
});
