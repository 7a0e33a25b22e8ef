import type { Id } from '@cairn/core';
import type { BlobIndex } from '@cairn/index';

/** Picks the delta base of a file's new chunk, given where the chunk lies in the file (undefined: none). */
export type BaseChooser = (start: number, length: number) => Id | undefined;

const NONE: BaseChooser = () => undefined;

/**
 * The delta base chooser of a file whose parent snapshot held `previous` at the same path: the
 * parent's chunk that overlaps the new chunk's byte range the most (so a chunk whose bounds moved
 * still finds the bytes it came from), else the parent's last chunk (a chunk past the parent's
 * end). None without a parent file: then no delta work is done at all. The parent's chunk offsets
 * come from the index (their plaintext lengths), once, at the first chunk that asks.
 */
export function deltaBaseChooser(previous: readonly Id[] | undefined, index: Pick<BlobIndex, 'lookup'>): BaseChooser {
  if (previous === undefined || previous.length === 0) return NONE;
  let ends: number[] | undefined;
  return (start, length) => {
    if (ends === undefined) {
      ends = [];
      let at = 0;
      for (const id of previous) {
        at += index.lookup(id)?.rawLength ?? 0;
        ends.push(at);
      }
    }
    const end = start + length;
    // The first parent chunk ending after `start` (binary search), then those starting before `end`.
    let low = 0;
    let high = ends.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (ends[mid]! > start) high = mid;
      else low = mid + 1;
    }
    let best = -1;
    let bestOverlap = 0;
    for (let j = low; j < ends.length; j += 1) {
      const from = j === 0 ? 0 : ends[j - 1]!;
      if (from >= end) break;
      const overlap = Math.min(end, ends[j]!) - Math.max(start, from);
      if (overlap > bestOverlap) {
        best = j;
        bestOverlap = overlap;
      }
    }
    return previous[best < 0 ? previous.length - 1 : best];
  };
}
