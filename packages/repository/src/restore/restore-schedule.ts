import type { NeededBlobs } from './needed-blobs.js';
import type { FileContents } from './planned-files.js';
import { ReadSimulation } from './read-simulation.js';
import type { ReadStep, ReadSteps, ScheduleLimits } from './read-steps.js';

/**
 * Plans the reads of a restore of files whose chunks are `contents` (blob numbers of `blobs`),
 * one read at a time as next() asks for it: only the reads not yet taken are held, never the
 * whole schedule. Packs are read in order of first use, except that the next pack a partly
 * written file needs comes first (so it is completed and closed soon); a pack's needed blobs,
 * sorted by offset, are read in as few ranges as the limits allow, and each blob read is
 * written to every place that needs it. A file is opened at its first write and committed
 * after its last; at most `maxOpenFiles` files stay open between reads. A file that would
 * open beyond that waits: what it needs of the current read is cached (up to `cacheBytes`) or
 * read again later.
 */
export class ReadScheduler implements ReadSteps {
  private readonly sim: ReadSimulation;
  /** The blobs of pack p, by offset: packBlobs[packStart[p] .. packStart[p + 1]). */
  private readonly packStart: Int32Array;
  private readonly packBlobs: Int32Array;
  /** Packs in order of first use; a pack read while files still wait for it goes to the back again. */
  private readonly queue: number[];
  private readonly queued: Uint8Array;
  private head = 0;
  private idle = 0;

  constructor(
    private readonly blobs: NeededBlobs,
    contents: FileContents,
    private readonly limits: ScheduleLimits,
  ) {
    const { useStart, useBlob } = contents;
    const files = useStart.length - 1;
    const useCount = useStart[files]!;
    const useFile = new Int32Array(useCount);
    const usePos = new Float64Array(useCount);
    for (let f = 0; f < files; f += 1) {
      let position = 0;
      for (let u = useStart[f]!; u < useStart[f + 1]!; u += 1) {
        useFile[u] = f;
        usePos[u] = position;
        position += blobs.rawLength(useBlob[u]!);
      }
    }
    // The uses of each blob, as a compressed list: blobUses[blobUseStart[b] .. blobUseStart[b + 1]).
    const blobUseStart = new Int32Array(blobs.count + 1);
    for (let i = 0; i < useCount; i += 1) blobUseStart[useBlob[i]! + 1]! += 1;
    for (let b = 0; b < blobs.count; b += 1) blobUseStart[b + 1]! += blobUseStart[b]!;
    const blobUses = new Int32Array(useCount);
    const fill = blobUseStart.slice(0, blobs.count);
    for (let i = 0; i < useCount; i += 1) blobUses[fill[useBlob[i]!]!++] = i;
    // Blobs are numbered in order of first use, packs in order of their first blob's.
    const packs = blobs.packCount;
    this.packStart = new Int32Array(packs + 1);
    for (let b = 0; b < blobs.count; b += 1) this.packStart[blobs.pack(b) + 1]! += 1;
    for (let p = 0; p < packs; p += 1) this.packStart[p + 1]! += this.packStart[p]!;
    this.packBlobs = new Int32Array(blobs.count);
    const at = this.packStart.slice(0, packs);
    for (let b = 0; b < blobs.count; b += 1) this.packBlobs[at[blobs.pack(b)]!++] = b;
    for (let p = 0; p < packs; p += 1) this.packBlobs.subarray(this.packStart[p]!, this.packStart[p + 1]!).sort((a, b) => blobs.offset(a) - blobs.offset(b));
    this.sim = new ReadSimulation(blobs, { useStart, useBlob, useFile, usePos, blobUseStart, blobUses }, limits);
    this.queue = Array.from({ length: packs }, (_, p) => p);
    this.queued = new Uint8Array(packs).fill(1);
  }

  next(): ReadStep | undefined {
    while (this.sim.steps.length === 0) if (!this.readPack()) return undefined;
    return this.sim.steps.shift();
  }

  /** Plans the reads of the next pack; false when every file is complete. */
  private readPack(): boolean {
    const { sim, blobs } = this;
    // An open file's next pack comes first, so that files are completed (and closed) soon.
    const urgent = sim.urgentBlob();
    let p: number;
    if (urgent >= 0) p = blobs.pack(urgent);
    else if (this.head < this.queue.length) {
      p = this.queue[this.head]!;
      this.head += 1;
      this.queued[p] = 0;
    } else return false;
    const before = sim.progress;
    const needed: number[] = [];
    for (let i = this.packStart[p]!; i < this.packStart[p + 1]!; i += 1) if (sim.hasPending(this.packBlobs[i]!)) needed.push(this.packBlobs[i]!);
    const packId = blobs.packId(p);
    for (const range of splitRanges(needed, blobs, this.limits)) sim.step(packId, range);
    if (this.queued[p] === 0 && needed.some((b) => sim.hasPending(b))) {
      this.queue.push(p);
      this.queued[p] = 1;
    }
    this.idle = sim.progress === before ? this.idle + 1 : 0;
    if (this.idle > blobs.packCount + 1) throw new Error('ReadScheduler: no progress (internal error)');
    return true;
  }
}

/**
 * Groups blobs of one pack (sorted by offset) into reads within the limits. The members of one
 * group (same frame, same offset) always share a read, so the group is read and decompressed once.
 */
function splitRanges(sorted: readonly number[], blobs: NeededBlobs, limits: ScheduleLimits): number[][] {
  const ranges: number[][] = [];
  let current: number[] = [];
  let start = 0;
  let end = 0;
  let plain = 0;
  for (const b of sorted) {
    const offset = blobs.offset(b);
    const length = blobs.length(b);
    const rawLength = blobs.rawLength(b);
    const sameGroup = current.length > 0 && blobs.codec(b) === 'group' && blobs.offset(current[current.length - 1]!) === offset;
    const fits = sameGroup || (current.length > 0 && offset - end < limits.maxGap
      && Math.max(end, offset + length) - start <= limits.maxReadBytes && plain + rawLength <= limits.maxStepBytes);
    if (!fits && current.length > 0) {
      ranges.push(current);
      current = [];
    }
    if (current.length === 0) {
      start = offset;
      end = offset;
      plain = 0;
    }
    current.push(b);
    end = Math.max(end, offset + length);
    plain += rawLength;
  }
  if (current.length > 0) ranges.push(current);
  return ranges;
}
