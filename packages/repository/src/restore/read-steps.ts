import type { CairnError } from '@cairn/core';
import type { Id } from '@cairn/core';

/** Bounds of a read schedule. */
export interface ScheduleLimits {
  /** Blobs of one pack closer than this are read together, gap included. */
  readonly maxGap: number;
  /** Stored bytes per read (a larger blob gets a read of its own). */
  readonly maxReadBytes: number;
  /** Plaintext bytes per read. */
  readonly maxStepBytes: number;
  /** Files open at once between reads (partly written). */
  readonly maxOpenFiles: number;
  /** Plaintext kept between reads for files that cannot be opened yet. */
  readonly cacheBytes: number;
}

/** One range read of a pack and the writes it feeds (blobs and files by their numbers in NeededBlobs and PlannedFiles). */
export interface ReadStep {
  readonly packId: Id;
  readonly offset: number;
  readonly length: number;
  /** The blobs in the range, by offset. */
  readonly blobs: number[];
  /** What the step holds in memory: the bytes read, plus the plaintext of its compressed blobs. */
  readonly memoryBytes: number;
  /** The plaintext of all its blobs: what it takes of a decode thread's arena (the bytes read are in a reused buffer). */
  readonly plainBytes: number;
  /** Blobs to add references to in the cache (taking the data from this read when it is not cached yet). */
  readonly keep: { readonly blob: number; readonly uses: number }[];
  /**
   * What the step writes, flat (a step lives from its read to its writes, long enough for an
   * object per file, write and piece to reach the old generation and wait there for a full
   * collection): for each file it writes, in file order, `file, last, writes`, then for each
   * write (chunks that follow each other) `position, pieces`, then each piece: a blob number,
   * or -1 - blob when the blob comes from the cache. `last` is 1 when the file is complete
   * after the step, else 0.
   */
  readonly work: number[];
}

/** The reads of a restore in order, made as they are asked for. */
export interface ReadSteps {
  /** The next read, or undefined when every file is complete. */
  next(): ReadStep | undefined;
}

/** The plaintext of each blob of a read, or the damage that keeps it from being used. */
export type StepData = Map<number, Uint8Array | CairnError>;
