import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { BlobIndex } from '@cairn/index';
import { ReadSimulation } from './read-simulation.js';
import type { NeededBlob, ReadSchedule, ScheduleLimits } from './read-steps.js';

/**
 * Plans the reads of a restore of files with the chunk lists `contents`. Packs are read in
 * order of first use, except that the next pack a partly written file needs comes first (so
 * it is completed and closed soon); a pack's needed blobs, sorted by offset, are read in as
 * few ranges as the limits allow, and each blob read is written to every place that needs
 * it. A file is opened at its first write and committed after its last; at most
 * `maxOpenFiles` files stay open between reads. A file that would open beyond that waits:
 * what it needs of the current read is cached (up to `cacheBytes`) or read again later.
 * Every chunk id must be in `index` (RangeError otherwise).
 */
export function scheduleReads(contents: readonly (readonly Id[])[], index: BlobIndex, limits: ScheduleLimits): ReadSchedule {
  const blobs: NeededBlob[] = [];
  const blobOf = new Map<string, number>();
  const packs: { id: Id; blobs: number[] }[] = [];
  const packOf = new Map<string, number>();
  const useStart = new Int32Array(contents.length + 1);
  for (let f = 0; f < contents.length; f += 1) useStart[f + 1] = useStart[f]! + contents[f]!.length;
  const useCount = useStart[contents.length]!;
  const useBlob = new Int32Array(useCount);
  const useFile = new Int32Array(useCount);
  const usePos = new Float64Array(useCount);
  const sizes: number[] = [];

  let u = 0;
  for (let f = 0; f < contents.length; f += 1) {
    let position = 0;
    for (const id of contents[f]!) {
      const key = toHex(id);
      let blob = blobOf.get(key);
      if (blob === undefined) {
        const location = index.lookup(id);
        if (location === undefined) throw new RangeError(`scheduleReads: blob ${key} is not in the index`);
        blob = blobs.length;
        blobs.push({ id, location });
        blobOf.set(key, blob);
        const packKey = toHex(location.packId);
        let pack = packOf.get(packKey);
        if (pack === undefined) {
          pack = packs.length;
          packs.push({ id: location.packId, blobs: [] });
          packOf.set(packKey, pack);
        }
        packs[pack]!.blobs.push(blob);
      }
      useBlob[u] = blob;
      useFile[u] = f;
      usePos[u] = position;
      position += blobs[blob]!.location.rawLength;
      u += 1;
    }
    sizes.push(position);
  }
  // The uses of each blob, as a compressed list: blobUses[blobUseStart[b] .. blobUseStart[b + 1]).
  const blobUseStart = new Int32Array(blobs.length + 1);
  for (let i = 0; i < useCount; i += 1) blobUseStart[useBlob[i]! + 1]! += 1;
  for (let b = 0; b < blobs.length; b += 1) blobUseStart[b + 1]! += blobUseStart[b]!;
  const blobUses = new Int32Array(useCount);
  const fill = blobUseStart.slice(0, blobs.length);
  for (let i = 0; i < useCount; i += 1) blobUses[fill[useBlob[i]!]!++] = i;
  for (const pack of packs) pack.blobs.sort((a, b) => blobs[a]!.location.offset - blobs[b]!.location.offset);

  const sim = new ReadSimulation(blobs, { useStart, useBlob, useFile, usePos, blobUseStart, blobUses }, limits);
  const packIndex = (b: number): number => packOf.get(toHex(blobs[b]!.location.packId))!;
  // Packs in order of first use; a pack read while files still wait for it goes to the back again.
  const queue = packs.map((_, i) => i);
  const queued = packs.map(() => true);
  let head = 0;
  let idle = 0;
  for (;;) {
    // An open file's next pack comes first, so that files are completed (and closed) soon.
    const urgent = sim.urgentBlob();
    let p: number;
    if (urgent >= 0) p = packIndex(urgent);
    else if (head < queue.length) {
      p = queue[head]!;
      head += 1;
      queued[p] = false;
    } else break;
    const pack = packs[p]!;
    const before = sim.progress;
    const needed = pack.blobs.filter((b) => sim.hasPending(b));
    for (const range of splitRanges(needed, blobs, limits)) sim.step(pack.id, range);
    if (!queued[p] && needed.some((b) => sim.hasPending(b))) {
      queue.push(p);
      queued[p] = true;
    }
    idle = sim.progress === before ? idle + 1 : 0;
    if (idle > packs.length + 1) throw new Error('scheduleReads: no progress (internal error)');
  }
  return { blobs, sizes, steps: sim.steps };
}

/** Groups blobs of one pack (sorted by offset) into reads within the limits. */
function splitRanges(sorted: readonly number[], blobs: readonly NeededBlob[], limits: ScheduleLimits): number[][] {
  const ranges: number[][] = [];
  let current: number[] = [];
  let start = 0;
  let end = 0;
  let plain = 0;
  for (const b of sorted) {
    const { offset, length, rawLength } = blobs[b]!.location;
    const fits = current.length > 0 && offset - end < limits.maxGap
      && Math.max(end, offset + length) - start <= limits.maxReadBytes && plain + rawLength <= limits.maxStepBytes;
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
