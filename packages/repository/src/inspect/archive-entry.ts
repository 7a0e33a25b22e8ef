import type { TreeNode } from '@cairn/index';

/** One entry a dump writes into an archive, in depth-first order (a folder before its entries). */
export interface ArchiveEntry {
  /** Its name in the archive: the snapshot path ("proj/src/a.ts"), raw bytes held as in a tree (see nameFromBytes). */
  readonly name: string;
  readonly node: TreeNode;
  /** A file already written under another name with the same device and inode (a hardlink): that name. */
  readonly linkTo?: string;
  /** A file's bytes (blob by blob), absent for every other entry and for a hardlink written as a link. */
  readonly content?: () => AsyncIterable<Uint8Array>;
}

/** What writes entries into one archive format; its bytes come out of `output` as they are made. */
export interface ArchiveWriter {
  /** Writes one entry; resolves once its bytes are handed to `output` (backpressure: a slow reader holds it). */
  add(entry: ArchiveEntry): Promise<void>;
  /** Ends the archive. */
  finish(): Promise<void>;
  /** Stops the archive with `error` (or quietly): `output` ends with it. */
  destroy(error?: Error): void;
  readonly output: AsyncIterable<Uint8Array>;
}

/** A time of nanoseconds since 1970 as a Date (milliseconds; the rest is lost). */
export function dateOfNs(ns: bigint): Date {
  return new Date(Number(ns / 1_000_000n) - (ns % 1_000_000n < 0n ? 1 : 0));
}
