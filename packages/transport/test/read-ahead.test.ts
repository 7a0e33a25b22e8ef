import { describe, expect, it } from 'vitest';
import { createReadAheadGate } from '../src/read-ahead.js';

/** Which of `folders` folders the gate reads ahead, each reporting `uncached(i)` files not in memory when it was read ahead. */
function run(folders: number, uncached: (i: number) => number): number[] {
  const gate = createReadAheadGate(16, 2);
  const read: number[] = [];
  for (let i = 0; i < folders; i += 1) {
    if (!gate.wanted()) continue;
    read.push(i);
    gate.found(uncached(i));
  }
  return read;
}

describe('the read-ahead gate', () => {
  it('reads one folder in sixteen ahead while every file is in memory (a warm tree, tmpfs)', () => {
    expect(run(64, () => 0)).toEqual([0, 16, 32, 48]);
  });

  it('reads every folder ahead from the first that had files not in memory, while they keep coming', () => {
    expect(run(40, () => 3)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(run(40, (i) => (i >= 16 ? 1 : 0))).toEqual([0, ...Array.from({ length: 24 }, (_, i) => 16 + i)]);
  });

  it('goes back to probing after two folders in a row with every file in memory', () => {
    // Cold up to folder 20, warm after it: 21 and 22 are read ahead and find nothing; then 32, 48.
    expect(run(50, (i) => (i <= 20 ? 2 : 0))).toEqual([...Array.from({ length: 23 }, (_, i) => i), 32, 48]);
    // One warm folder between cold ones keeps reading ahead.
    expect(run(6, (i) => (i === 2 ? 0 : 1))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads at most eight folders ahead at a time: the next waits until one is through', () => {
    const gate = createReadAheadGate(16, 2, 8);
    expect(gate.wanted()).toBe(true);
    gate.found(1); // cold: every folder from now on
    expect(Array.from({ length: 10 }, () => gate.wanted())).toEqual([true, true, true, true, true, true, true, true, false, false]);
    gate.found(1);
    expect(gate.wanted()).toBe(true);
    expect(gate.wanted()).toBe(false);
  });
});
