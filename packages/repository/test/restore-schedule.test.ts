import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import type { Id, PackedBlob } from '@cairn/core';
import { createBlobIndex } from '@cairn/index';
import type { BlobIndex } from '@cairn/index';
import { NeededBlobs } from '../src/restore/needed-blobs.js';
import { ReadScheduler } from '../src/restore/restore-schedule.js';
import type { ReadStep, ScheduleLimits } from '../src/restore/read-steps.js';

const id = (name: string): Id => new Uint8Array(createHash('sha256').update(name).digest());

const LIMITS: ScheduleLimits = { maxGap: 1000, maxReadBytes: 1 << 20, maxStepBytes: 1 << 20, maxOpenFiles: 4, cacheBytes: 1 << 20 };

/** An index of packs given as lists of [blob name, stored length, plaintext length], blobs back to back from offset 0. */
function indexOf(packs: Record<string, [string, number, number][]>, gapAfter: Record<string, number> = {}): BlobIndex {
  const index = createBlobIndex();
  for (const [pack, blobs] of Object.entries(packs)) {
    let offset = 0;
    const packed: PackedBlob[] = blobs.map(([name, length, rawLength]) => {
      const blob: PackedBlob = { id: id(name), type: 'data', offset, length, rawLength, codec: length === rawLength ? 'none' : 'zstd' };
      offset += length + (gapAfter[name] ?? 0);
      return blob;
    });
    index.addPack(id(pack), packed);
  }
  return index;
}

/** The blobs and every step of a schedule of files with the chunk lists `contents`, taken one after the other as the writer takes them. */
interface ReadSchedule {
  readonly blobs: NeededBlobs;
  readonly steps: ReadStep[];
}

/** Schedules the reads of files with the chunk lists `contents` (RangeError when a chunk is not in `index`). */
function scheduleReads(contents: readonly (readonly Id[])[], index: BlobIndex, limits: ScheduleLimits): ReadSchedule {
  const blobs = new NeededBlobs(index);
  const useStart = new Int32Array(contents.length + 1);
  const uses: number[] = [];
  contents.forEach((chunks, f) => {
    for (const chunk of chunks) uses.push(blobs.add(chunk));
    useStart[f + 1] = uses.length;
  });
  const scheduler = new ReadScheduler(blobs, { useStart, useBlob: Int32Array.from(uses) }, limits);
  const steps: ReadStep[] = [];
  for (let step = scheduler.next(); step !== undefined; step = scheduler.next()) steps.push(step);
  return { blobs, steps };
}

/** What a step writes to one file, as objects: its writes, each a position and its pieces. */
interface FileWork {
  readonly file: number;
  readonly last: boolean;
  readonly writes: { readonly position: number; readonly pieces: { readonly blob: number; readonly cached: boolean }[] }[];
}

/** A step's flat work (ReadStep.work) as objects, file by file. */
function filesOf(step: ReadStep): FileWork[] {
  const { work } = step;
  const files: FileWork[] = [];
  for (let i = 0; i < work.length;) {
    const file = work[i]!;
    const last = work[i + 1] === 1;
    const count = work[i + 2]!;
    i += 3;
    const writes: FileWork['writes'] = [];
    for (let w = 0; w < count; w += 1) {
      const position = work[i]!;
      const pieces = work.slice(i + 2, i + 2 + work[i + 1]!).map((piece) => (piece < 0 ? { blob: -1 - piece, cached: true } : { blob: piece, cached: false }));
      i += 2 + pieces.length;
      writes.push({ position, pieces });
    }
    files.push({ file, last, writes });
  }
  return files;
}

/**
 * Plays a schedule as the writer would and checks its promises: every chunk of every file is
 * written once at its position from a blob the step read or the cache holds; a write's pieces
 * follow each other; a file is complete at its `last` step; no more than maxOpenFiles files are
 * open between reads; the cache stays within its bytes. Returns the reads per pack.
 */
function replay(schedule: ReadSchedule, contents: Id[][], limits: ScheduleLimits): Map<string, number> {
  const reads = new Map<string, number>();
  const cache = new Map<number, number>();
  const written = contents.map(() => new Map<number, string>());
  const open = new Set<number>();
  const complete = new Set<number>();
  const { blobs } = schedule;
  const raw = (b: number): number => blobs.rawLength(b);
  for (const step of schedule.steps) {
    const pack = toHex(step.packId);
    reads.set(pack, (reads.get(pack) ?? 0) + 1);
    for (const b of step.blobs) {
      expect(toHex(blobs.packId(blobs.pack(b)))).toBe(pack);
      expect(blobs.offset(b)).toBeGreaterThanOrEqual(step.offset);
      expect(blobs.offset(b) + blobs.length(b)).toBeLessThanOrEqual(step.offset + step.length);
    }
    for (const { blob, uses } of step.keep) {
      expect(cache.has(blob) || step.blobs.includes(blob)).toBe(true);
      cache.set(blob, (cache.get(blob) ?? 0) + uses);
    }
    expect([...cache.keys()].reduce((sum, b) => sum + raw(b), 0)).toBeLessThanOrEqual(limits.cacheBytes);
    for (const work of filesOf(step)) {
      expect(complete.has(work.file)).toBe(false);
      for (const write of work.writes) {
        let position = write.position;
        for (const piece of write.pieces) {
          if (piece.cached) {
            const refs = cache.get(piece.blob);
            expect(refs).toBeGreaterThan(0);
            if (refs === 1) cache.delete(piece.blob);
            else cache.set(piece.blob, refs! - 1);
          } else {
            expect(step.blobs).toContain(piece.blob);
          }
          expect(written[work.file]!.has(position)).toBe(false);
          written[work.file]!.set(position, toHex(blobs.id(piece.blob)));
          position += raw(piece.blob);
        }
      }
      if (work.last) {
        open.delete(work.file);
        complete.add(work.file);
      } else {
        open.add(work.file);
      }
    }
    expect(open.size).toBeLessThanOrEqual(limits.maxOpenFiles);
  }
  expect(cache.size).toBe(0);
  contents.forEach((chunks, f) => {
    if (chunks.length === 0) return;
    expect(complete.has(f)).toBe(true);
    let position = 0;
    const want = new Map<number, string>();
    for (const chunk of chunks) {
      want.set(position, toHex(chunk));
      position += raw(blobs.add(chunk)); // the number it already has
    }
    expect(written[f]).toEqual(want);
  });
  return reads;
}

describe('scheduleReads', () => {
  it('reads each pack once, in order of first use, and writes a blob used several times from that one read', () => {
    const index = indexOf({ p1: [['a', 100, 100], ['b', 50, 120], ['c', 100, 100]], p2: [['d', 10, 10], ['e', 10, 10]] });
    const contents = [[id('d'), id('a'), id('a'), id('b')], [id('b'), id('e'), id('c')], [id('a')]];
    const schedule = scheduleReads(contents, index, LIMITS);
    const reads = replay(schedule, contents, LIMITS);
    expect(schedule.steps.map((s) => toHex(s.packId))).toEqual([toHex(id('p2')), toHex(id('p1'))]);
    expect([...reads.values()]).toEqual([1, 1]);
    // File 0's chunks a, a, b follow each other: one write of three pieces.
    const p1 = schedule.steps[1]!;
    expect(filesOf(p1).find((w) => w.file === 0)?.writes.map((w) => [w.position, w.pieces.length])).toEqual([[10, 3]]);
    expect(p1.offset).toBe(0);
    expect(p1.length).toBe(250);
    expect(p1.memoryBytes).toBe(250 + 120); // the read, and b's plaintext (a and c are stored as they are)
  });

  it('splits a pack into reads at gaps of maxGap or more and at maxReadBytes / maxStepBytes', () => {
    const index = indexOf({ p: [['a', 100, 100], ['b', 100, 100], ['c', 100, 100], ['d', 100, 400]] }, { a: 999, b: 1000 });
    const contents = [[id('a'), id('b'), id('c'), id('d')]];
    let schedule = scheduleReads(contents, index, LIMITS);
    replay(schedule, contents, LIMITS);
    expect(schedule.steps.map((s) => s.blobs.length)).toEqual([2, 2]); // a+b (gap 999), then c+d (gap 1000)
    const tight = { ...LIMITS, maxReadBytes: 150, maxStepBytes: 450 };
    schedule = scheduleReads(contents, index, tight);
    replay(schedule, contents, tight);
    expect(schedule.steps.map((s) => s.blobs.length)).toEqual([1, 1, 1, 1]);
    const plain = { ...LIMITS, maxStepBytes: 450 };
    schedule = scheduleReads([[id('c'), id('d')]], index, plain);
    expect(schedule.steps.map((s) => s.blobs.length)).toEqual([1, 1]); // 100 + 400 plaintext > 450
  });

  it('keeps only maxOpenFiles files open: a file that must wait gets its blob from the cache, and no pack is read twice', () => {
    // 30 files share one blob in pack "common" and have their own blob each in later packs.
    const packs: Record<string, [string, number, number][]> = { common: [['zero', 64, 4096]] };
    for (let i = 0; i < 30; i += 1) packs[`own${i}`] = [[`own${i}`, 100, 100]];
    const index = indexOf(packs);
    const contents = Array.from({ length: 30 }, (_, i) => [id('zero'), id(`own${i}`), id('zero')]);
    const limits = { ...LIMITS, maxOpenFiles: 2, cacheBytes: 4096 };
    const schedule = scheduleReads(contents, index, limits);
    const reads = replay(schedule, contents, limits);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    expect(schedule.steps[0]!.keep).toEqual([{ blob: 0, uses: 56 }]); // two uses each of the 28 files that wait
  });

  it('reads a pack again when the cache has no room, and still completes every file', () => {
    const packs: Record<string, [string, number, number][]> = { common: [['x', 1000, 1000], ['y', 1000, 1000]] };
    for (let i = 0; i < 12; i += 1) packs[`own${i}`] = [[`own${i}`, 100, 100]];
    const index = indexOf(packs);
    const contents = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? [id('x'), id(`own${i}`)] : [id(`own${i}`), id('y'), id('x')]));
    for (const cacheBytes of [0, 1000, 1999]) {
      const limits = { ...LIMITS, maxOpenFiles: 1, cacheBytes };
      const schedule = scheduleReads(contents, index, limits);
      const reads = replay(schedule, contents, limits);
      expect(reads.get(toHex(id('common')))).toBeGreaterThan(1);
      // Linear, not quadratic: each own pack once, the shared pack about once per two files.
      expect(reads.get(toHex(id('common')))).toBeLessThanOrEqual(7);
      expect(schedule.steps.length).toBeLessThanOrEqual(12 + 7);
    }
  });

  it('keeps its promises on random layouts, limits and sharing (seeded)', () => {
    let x = 7;
    const rnd = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    for (let round = 0; round < 40; round += 1) {
      const packs: Record<string, [string, number, number][]> = {};
      const names: string[] = [];
      for (let p = 0; p < 1 + rnd(8); p += 1) {
        packs[`r${round}p${p}`] = Array.from({ length: 1 + rnd(6) }, (_, b) => {
          names.push(`r${round}p${p}b${b}`);
          return [`r${round}p${p}b${b}`, 1 + rnd(300), 1 + rnd(600)] as [string, number, number];
        });
      }
      const gaps = Object.fromEntries(names.map((name) => [name, rnd(3) === 0 ? rnd(2000) : 0]));
      const index = indexOf(packs, gaps);
      const contents = Array.from({ length: rnd(25) }, () => Array.from({ length: rnd(7) }, () => id(names[rnd(names.length)]!)));
      const limits = { maxGap: 1 + rnd(1500), maxReadBytes: 200 + rnd(2000), maxStepBytes: 600 + rnd(3000), maxOpenFiles: 1 + rnd(4), cacheBytes: rnd(3) * rnd(1500) };
      replay(scheduleReads(contents, index, limits), contents, limits);
    }
  });

  it('plans nothing for empty files and refuses a blob that is not indexed', () => {
    const index = indexOf({ p: [['a', 10, 10]] });
    const schedule = scheduleReads([[], [id('a')], []], index, LIMITS);
    expect(schedule.steps).toHaveLength(1);
    expect(filesOf(schedule.steps[0]!).map((work) => work.file)).toEqual([1]);
    expect(() => scheduleReads([[id('missing')]], index, LIMITS)).toThrow(RangeError);
  });
});
