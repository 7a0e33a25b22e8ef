import type { Id } from '@cairn/core';
import type { NeededBlobs } from './needed-blobs.js';
import type { ReadStep, ScheduleLimits } from './read-steps.js';

const PENDING = 0;
const CACHED = 1;
const DONE = 2;

/** Every chunk use of the files of a restore, and the uses of each blob (compressed lists over use numbers). */
export interface Uses {
  /** The uses of file f are useStart[f] .. useStart[f + 1]. */
  readonly useStart: Int32Array;
  readonly useBlob: Int32Array;
  readonly useFile: Int32Array;
  /** Byte position of each use in its file. */
  readonly usePos: Float64Array;
  /** The uses of blob b are blobUses[blobUseStart[b] .. blobUseStart[b + 1]). */
  readonly blobUseStart: Int32Array;
  readonly blobUses: Int32Array;
}

/** Plays a restore through, one read at a time, tracking what is written, open and cached; queues the steps (taken from the front). */
export class ReadSimulation {
  readonly steps: ReadStep[] = [];
  /** Grows whenever a use is written or cached. */
  progress = 0;
  private readonly status: Uint8Array;
  private readonly pendingLeft: Int32Array;
  private readonly cachedLeft: Int32Array;
  /** 0: not opened yet, 1: open, 2: complete. */
  private readonly state: Uint8Array;
  private readonly open = new Set<number>();
  /** Per file: no use before it is pending. */
  private readonly cursor: Int32Array;
  private readonly cacheRefs = new Map<number, number>();
  private cacheUsed = 0;

  constructor(
    private readonly blobs: NeededBlobs,
    private readonly uses: Uses,
    private readonly limits: ScheduleLimits,
  ) {
    const files = uses.useStart.length - 1;
    this.status = new Uint8Array(uses.useBlob.length);
    this.pendingLeft = new Int32Array(files);
    this.cachedLeft = new Int32Array(files);
    this.state = new Uint8Array(files);
    for (let f = 0; f < files; f += 1) this.pendingLeft[f] = uses.useStart[f + 1]! - uses.useStart[f]!;
    this.cursor = uses.useStart.slice(0, files);
  }

  /** The blob of the next pending use of the first open file, or -1 when no file is open. */
  urgentBlob(): number {
    let first = -1;
    for (const file of this.open) if (first < 0 || file < first) first = file;
    if (first < 0) return -1;
    let use = this.cursor[first]!;
    while (this.status[use] !== PENDING) use += 1;
    this.cursor[first] = use;
    return this.uses.useBlob[use]!;
  }

  /** True when some file still waits for `blob` to be read. */
  hasPending(blob: number): boolean {
    const { blobUseStart, blobUses } = this.uses;
    for (let i = blobUseStart[blob]!; i < blobUseStart[blob + 1]!; i += 1) if (this.status[blobUses[i]!] === PENDING) return true;
    return false;
  }

  /** Adds the step reading `range` (blobs of one pack by offset): who is served, who waits. */
  step(packId: Id, range: readonly number[]): void {
    const { blobUseStart, blobUses, useFile } = this.uses;
    const touched = new Map<number, number[]>();
    for (const b of range) {
      for (let i = blobUseStart[b]!; i < blobUseStart[b + 1]!; i += 1) {
        const use = blobUses[i]!;
        if (this.status[use] !== PENDING) continue;
        const file = useFile[use]!;
        const list = touched.get(file);
        if (list === undefined) touched.set(file, [use]);
        else list.push(use);
      }
    }
    const files = [...touched.keys()].sort((a, b) => a - b);
    const served: number[] = [];
    const waiting: number[] = [];
    // Files this read completes first: the open ones among them free their place for others.
    for (const file of files) {
      if (this.pendingLeft[file] !== touched.get(file)!.length) continue;
      this.open.delete(file);
      this.state[file] = 2;
      served.push(file);
    }
    for (const file of files) {
      if (this.state[file] === 1) served.push(file);
      else if (this.state[file] !== 0) continue;
      else if (this.open.size < this.limits.maxOpenFiles) {
        this.state[file] = 1;
        this.open.add(file);
        served.push(file);
      } else waiting.push(file);
    }
    served.sort((a, b) => a - b);
    const keep = new Map<number, number>();
    for (const file of waiting) for (const use of touched.get(file)!) this.cacheUse(use, keep);
    const { blobs } = this;
    const start = blobs.offset(range[0]!);
    let end = start;
    let decoded = 0;
    let plain = 0;
    let group = -1; // the offset of the last group counted: a group's plaintext is held once, while its members are cut out
    for (const b of range) {
      end = Math.max(end, blobs.offset(b) + blobs.length(b));
      if (blobs.codec(b) === 'group') {
        if (blobs.offset(b) !== group) decoded += blobs.groupRaw(b);
        group = blobs.offset(b);
      }
      if (blobs.codec(b) !== 'none') decoded += blobs.rawLength(b);
      plain += blobs.rawLength(b);
    }
    const work: number[] = [];
    for (const file of served) this.serve(file, touched.get(file)!, work);
    this.steps.push({
      packId,
      offset: start,
      length: end - start,
      blobs: [...range],
      memoryBytes: end - start + decoded,
      plainBytes: plain,
      keep: [...keep].map(([blob, uses]) => ({ blob, uses })),
      work,
    });
  }

  /** Keeps a waiting file's use in the cache when there is room; else it stays pending (the pack is read again). */
  private cacheUse(use: number, keep: Map<number, number>): void {
    const blob = this.uses.useBlob[use]!;
    const refs = this.cacheRefs.get(blob);
    if (refs === undefined) {
      const size = this.blobs.rawLength(blob);
      if (this.cacheUsed + size > this.limits.cacheBytes) return;
      this.cacheUsed += size;
    }
    this.cacheRefs.set(blob, (refs ?? 0) + 1);
    keep.set(blob, (keep.get(blob) ?? 0) + 1);
    const file = this.uses.useFile[use]!;
    this.status[use] = CACHED;
    this.pendingLeft[file]! -= 1;
    this.cachedLeft[file]! += 1;
    this.progress += 1;
  }

  /** Writes a file's uses of this read, and whatever of it waits in the cache: appends them to `work` (see ReadStep.work). */
  private serve(file: number, here: readonly number[], work: number[]): void {
    const { useStart, useBlob, usePos } = this.uses;
    // Its uses written now, by use number (so by position); a use served from the cache as -1 - use.
    const pieces: number[] = [];
    for (const use of here) {
      this.status[use] = DONE;
      pieces.push(use);
    }
    this.pendingLeft[file]! -= here.length;
    if (this.cachedLeft[file]! > 0) {
      for (let use = useStart[file]!; use < useStart[file + 1]!; use += 1) {
        if (this.status[use] !== CACHED) continue;
        this.status[use] = DONE;
        const blob = useBlob[use]!;
        pieces.push(-1 - use);
        const refs = this.cacheRefs.get(blob)! - 1;
        if (refs > 0) this.cacheRefs.set(blob, refs);
        else {
          this.cacheRefs.delete(blob);
          this.cacheUsed -= this.blobs.rawLength(blob);
        }
      }
      this.cachedLeft[file] = 0;
    }
    this.progress += here.length;
    pieces.sort((a, b) => (a < 0 ? -1 - a : a) - (b < 0 ? -1 - b : b));
    work.push(file, this.pendingLeft[file] === 0 ? 1 : 0, 0);
    const writesAt = work.length - 1;
    let piecesAt = -1;
    let next = -1;
    for (const piece of pieces) {
      const use = piece < 0 ? -1 - piece : piece;
      const blob = useBlob[use]!;
      const position = usePos[use]!;
      if (piecesAt < 0 || position !== next) {
        work.push(position, 0);
        piecesAt = work.length - 1;
        work[writesAt]! += 1;
      }
      work.push(piece < 0 ? -1 - blob : blob);
      work[piecesAt]! += 1;
      next = position + this.blobs.rawLength(blob);
    }
  }
}
