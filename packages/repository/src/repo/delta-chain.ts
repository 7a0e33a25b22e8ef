import { CairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { BlobIndex } from '@cairn/index';

/**
 * The most deltas a chain holds: a candidate base that stands on this many deltas lends the base
 * under it instead (see write/blob-writer.ts), so reading any blob cairn writes decompresses at
 * most MAX_DELTA_DEPTH + 1 = 3 frames, and a base serves every later version. Two, not one, so a
 * chunk stored as a delta on another file's chunk (a resemblance within one backup) is still the
 * base of its own file's later versions. Readers follow longer chains (up to 64 links) should a
 * repository hold them.
 */
export const MAX_DELTA_DEPTH = 2;

/** Deeper chains than this are refused on reading (damage or a cycle, never written by cairn). */
const MAX_READ_DEPTH = 64;

/** Finds a delta's base plaintext (a restore passes one that reads each base once for all its deltas). */
export type BaseLoader = (id: Id) => Promise<Uint8Array>;

/**
 * How many deltas stand between `id` and the whole blob under it: 0 for a whole blob (or one
 * not in the index), 1 for a delta on a whole blob, … Stops counting past `limit`.
 */
export function deltaDepth(index: Pick<BlobIndex, 'lookup'>, id: Id, limit = MAX_READ_DEPTH): number {
  let depth = 0;
  let location = index.lookup(id);
  while (location?.base !== undefined && depth <= limit) {
    depth += 1;
    location = index.lookup(location.base);
  }
  return depth;
}

/**
 * The ids of the bases `id` reads through, nearest first ([] for a whole blob); ERR_FORMAT
 * naming the blob when its chain loops or is longer than any cairn writes.
 */
export function deltaBases(index: Pick<BlobIndex, 'lookup'>, id: Id): Id[] {
  const bases: Id[] = [];
  let location = index.lookup(id);
  while (location?.base !== undefined) {
    if (bases.length >= MAX_READ_DEPTH) {
      throw new CairnError('ERR_FORMAT', `data blob ${toHex(id)} stands on a chain of more than ${MAX_READ_DEPTH} deltas (a loop, or damage)`);
    }
    bases.push(location.base);
    location = index.lookup(location.base);
  }
  return bases;
}

/** The message of a delta whose base could not be read: names the delta and its base. */
export function baseFailure(where: string, base: Id, error: unknown): CairnError {
  const code = error instanceof CairnError && error.code !== 'ERR_NOT_FOUND' ? error.code : 'ERR_INTEGRITY';
  const reason = error instanceof Error ? error.message : String(error);
  return new CairnError(code, `${where} is a delta whose base data blob ${toHex(base)} cannot be read: ${reason}`, {
    cause: error,
    hint: 'run `cairn check --read-data` to see what is damaged',
  });
}
