import { CairnError, codecCode, isCairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { acquireReadLease } from '../locks/lease.js';
import { unpackBlob } from '../repo/blob-check.js';
import { packFileName } from '../repo/names.js';
import { describeFilter, findSnapshot, listSnapshots, matchesFilter } from '../repo/snapshots.js';
import type { SnapshotEntry, SnapshotFilter } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { defaultThreads } from '../repo/worker-pool.js';
import type { WorkerModule } from '../repo/worker-pool.js';
import type { BlobLocation } from '@cairn/index';
import { contentIdOfBlobs } from './file-versions.js';
import { createMatcher, searchContent } from './grep-matcher.js';
import type { GrepLine, GrepPattern, LineOptions } from './grep-matcher.js';
import { GREP_BATCH_BYTES, createGrepPool } from './grep-pool.js';
import type { PooledResult, TakeBlob } from './grep-pool.js';
import { CONTENT_BINARY, CONTENT_TOO_LONG } from './grep-task.js';
import { byPath, holdersOf, pathOf, walkSnapshots } from './grep-walk.js';
import { createSelection } from '../tree/path-selection.js';
import type { Contents, FileRecord } from './grep-walk.js';

/** Options of grep and pickaxe. */
export interface GrepOptions extends GrepPattern, LineOptions {
  /** Paths or globs in the snapshots to search (restore's rules); default: every file. */
  readonly paths?: readonly string[];
  /** Which snapshots to search (default: every readable one). */
  readonly filter?: SnapshotFilter;
  /** Only these snapshots (ids, unique prefixes or `latest`), each of which must pass the filter. */
  readonly snapshots?: readonly string[];
  readonly signal?: AbortSignal;
  /** Worker threads that decompress and search; 0: the main thread. Default: the number of CPUs, or 0 when there is less than a batch to search. */
  readonly threads?: number;
  /** The worker's module (tests); default: grep-worker beside grep-pool.ts. */
  readonly worker?: WorkerModule;
  /** Called after each unique content is searched. */
  readonly onProgress?: (progress: GrepProgress) => void;
}

/** How far a search is. */
export interface GrepProgress {
  readonly contents: number;
  readonly totalContents: number;
  readonly bytes: number;
}

/** A snapshot as a result names it. */
export interface GrepSnapshot {
  readonly id: string;
  /** ISO 8601. */
  readonly time: string;
}

/** One path whose content matches, with every snapshot holding that path with that content (oldest first). */
export interface GrepHit {
  readonly path: string;
  /** The content's id: the SHA-256 of its blob ids, as `versions` names it. */
  readonly content: string;
  readonly snapshots: GrepSnapshot[];
  /** Matching lines (at most maxCount). */
  readonly count: number;
  /** Matching and context lines (empty when keepLines is false). */
  readonly lines: GrepLine[];
}

/** What a search read and found. */
export interface GrepSummary {
  readonly snapshots: number;
  /** Distinct (path, content) pairs considered. */
  readonly files: number;
  /** Distinct contents among them, each searched once. */
  readonly contents: number;
  readonly binarySkipped: number;
  /** Contents with a line longer than the limit (searched up to it). */
  readonly tooLong: number;
  readonly matchingContents: number;
  readonly matchingFiles: number;
  /** Plaintext bytes decompressed and searched. */
  readonly bytesDecompressed: number;
  /** Bytes of the considered files over all the snapshots holding them: what grep over every restored snapshot would read. */
  readonly logicalBytes: number;
  /** Folders loaded: each (tree, path) pair once. */
  readonly treeLoads: number;
}

/** The searched snapshots, their files and each unique content's result: what grep and pickaxe report from. */
export interface SearchOutcome {
  readonly snapshots: SnapshotEntry[];
  /** Every (path, content) pair, in no particular order (byPath sorts the few reported). */
  readonly records: FileRecord[];
  /** Matching lines per content number (FileRecord.content). */
  readonly counts: Uint32Array;
  /** The lines kept of each matching content. */
  readonly lines: Map<number, GrepLine[]>;
  /** Each content's blob ids, by content number. */
  readonly contents: Contents;
  readonly summary: GrepSummary;
}

/**
 * Searches the files of every snapshot passing options.filter for a pattern, as grep over each
 * restored snapshot would, but reading each unique content once: `onHit` gets each matching
 * (path, content) pair with the snapshots that hold it, in path order. Binary files are skipped
 * unless options.binary. ERR_USAGE for a bad pattern or path; ERR_NOT_FOUND when no snapshot passes the filter.
 */
export async function grep(repo: Repository, options: GrepOptions, onHit: (hit: GrepHit) => void): Promise<GrepSummary> {
  const { snapshots, records, counts, lines, contents, summary } = await searchSnapshots(repo, options);
  for (const record of records.filter((r) => (counts[r.content] ?? 0) > 0).sort(byPath)) {
    onHit({
      path: pathOf(record),
      content: contentIdOfBlobs(contents.blobs(record.content)),
      snapshots: holdersOf(record).map((i) => snapshotOf(snapshots[i]!)),
      count: counts[record.content] ?? 0,
      lines: lines.get(record.content) ?? [],
    });
  }
  return summary;
}

/** The snapshot as results name it. */
export function snapshotOf(entry: SnapshotEntry): GrepSnapshot {
  return { id: entry.id, time: new Date(Number(entry.snapshot.time / 1_000_000n)).toISOString() };
}

/** Contents stored in more bytes than this are searched in the main thread, blob by blob (a worker gets a content whole). */
const LARGE_CONTENT = 16 * 1024 * 1024;

/**
 * The search behind grep and pickaxe: walk, then search each unique content once, in the order
 * its blobs are stored, in the worker pool (grep-pool.ts). The main thread reads the packs; the
 * workers decompress, verify and match and send back counts and lines.
 */
export async function searchSnapshots(repo: Repository, options: GrepOptions): Promise<SearchOutcome> {
  createMatcher(options); // a bad pattern fails before any work
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 0)) throw new RangeError(`grep: threads must be a whole number >= 0, not ${String(options.threads)}`);
  // Which paths to search, as restore selects them (one matcher for both).
  const paths = options.paths ?? [];
  const select = paths.length === 0 ? null : createSelection(paths).matches;
  const lease = await acquireReadLease(repo, 'grep');
  try {
    const filter = options.filter ?? {};
    let snapshots = (await listSnapshots(repo)).snapshots.filter((entry) => matchesFilter(entry.snapshot, filter));
    if (options.snapshots !== undefined && options.snapshots.length > 0) {
      const named = new Set<string>();
      for (const ref of options.snapshots) named.add((await findSnapshot(repo, ref, { filter })).id);
      snapshots = snapshots.filter((entry) => named.has(entry.id));
    }
    if (snapshots.length === 0) {
      throw new CairnError('ERR_NOT_FOUND', `no snapshot matches ${describeFilter(filter)}`, { hint: 'list the snapshots there are with `cairn snapshots`' });
    }
    const { records, contents, treeLoads } = await walkSnapshots(repo, snapshots, select, options.signal);
    let logicalBytes = 0;
    for (const record of records) logicalBytes += record.size * holdersOf(record).length;
    // A file holding each content, to name it in an error.
    const holder = new Int32Array(contents.size).fill(-1);
    records.forEach((record, i) => {
      if (holder[record.content] === -1) holder[record.content] = i;
    });
    const describe = (content: number): string => {
      const record = records[holder[content] ?? -1];
      return record === undefined ? `content ${content}` : `file ${pathOf(record)}`;
    };

    const counts = new Uint32Array(contents.size);
    const lines = new Map<number, GrepLine[]>();
    let searched = 0;
    let bytesDecompressed = 0;
    let binarySkipped = 0;
    let tooLong = 0;
    const onResult = (content: number, result: PooledResult): void => {
      counts[content] = result.count;
      if (result.lines !== undefined && result.lines.length > 0) lines.set(content, result.lines);
      searched += 1;
      bytesDecompressed += result.bytes;
      if ((result.flags & CONTENT_BINARY) !== 0) binarySkipped += 1;
      if ((result.flags & CONTENT_TOO_LONG) !== 0) tooLong += 1;
      options.onProgress?.({ contents: searched, totalContents: contents.size, bytes: bytesDecompressed });
    };

    const read = createBlobReader(repo, contents);
    const threads = options.threads ?? (read.storedBytes < GREP_BATCH_BYTES ? 0 : defaultThreads());
    const search = { pattern: options.pattern, fixed: options.fixed, ignoreCase: options.ignoreCase, word: options.word, before: options.before, after: options.after, maxCount: options.maxCount, keepLines: options.keepLines, binary: options.binary };
    const pool = createGrepPool({ search, threads, zstd: repo.zstd, onResult, describe, ...(options.worker === undefined ? {} : { worker: options.worker }) });
    try {
      const matcher = createMatcher(options);
      for (const content of read.order) {
        if (options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'grep stopped while searching');
        if (read.storedSize(content) > LARGE_CONTENT) {
          const result = await searchContent(read.plain(content, describe), matcher, options);
          onResult(content, { count: result.count, bytes: result.bytes, flags: (result.binary ? CONTENT_BINARY : 0) | (result.tooLong ? CONTENT_TOO_LONG : 0), lines: result.lines });
          continue;
        }
        const reading = read.stored(content, describe, pool.blob);
        if (reading !== undefined) await reading;
        const room = pool.end(content);
        if (room !== undefined) await room;
      }
      await pool.drain();
    } finally {
      await pool.close();
    }
    let matchingContents = 0;
    for (const count of counts) if (count > 0) matchingContents += 1;
    return {
      snapshots,
      records,
      counts,
      lines,
      contents,
      summary: {
        snapshots: snapshots.length,
        files: records.length,
        contents: contents.size,
        binarySkipped,
        tooLong,
        matchingContents,
        matchingFiles: records.filter((r) => (counts[r.content] ?? 0) > 0).length,
        bytesDecompressed,
        logicalBytes,
        treeLoads,
      },
    };
  } finally {
    await lease?.release();
  }
}

/** Reads the blobs of the contents a search needs, as stored. */
interface BlobReader {
  /** Content numbers in the order their first blobs are stored (pack by pack, by offset). */
  readonly order: Uint32Array;
  /** Stored bytes of every blob the search reads. */
  readonly storedBytes: number;
  /** Stored bytes of a content's blobs. */
  storedSize(content: number): number;
  /** Gives each blob of a content as stored to `take`; a promise only when a pack had to be read. */
  stored(content: number, describe: (content: number) => string, take: TakeBlob): Promise<void> | undefined;
  /** A content's plaintext blob by blob, verified (for contents too large for a worker). */
  plain(content: number, describe: (content: number) => string): AsyncGenerator<Uint8Array>;
}

/** How many spans of packs the reader keeps (a content's later blobs may lie in the pack before). */
const SPANS_KEPT = 2;

/**
 * Reads the blobs of file contents as stored, in pack order. From each pack, the stretch from its
 * first to its last needed blob is read in one piece when at least half of it is needed, and kept
 * while the next contents use it; from any other, only the blobs needed are read. A single-blob
 * content's place is looked up once and kept in typed arrays (no object per file).
 */
function createBlobReader(repo: Repository, contents: Contents): BlobReader {
  const count = contents.size;
  const packOf = new Int32Array(count).fill(-1); // the first blob's pack number; -1 when it is not in the index
  const offsetOf = new Float64Array(count);
  const lengthOf = new Float64Array(count); // stored bytes of all the content's blobs
  const rawOf = new Uint32Array(count);
  const codecOf = new Uint8Array(count);
  const packs: { readonly id: Id; readonly name: string; start: number; end: number; needed: number }[] = [];
  const packNumber = new Map<Id, number>(); // the index shares one packId object among a pack's locations
  let storedBytes = 0;
  const placeOf = (location: BlobLocation): number => {
    let n = packNumber.get(location.packId);
    if (n === undefined) {
      n = packs.length;
      packNumber.set(location.packId, n);
      packs.push({ id: location.packId, name: toHex(location.packId), start: location.offset, end: location.offset + location.length, needed: 0 });
    }
    const pack = packs[n]!;
    pack.start = Math.min(pack.start, location.offset);
    pack.end = Math.max(pack.end, location.offset + location.length);
    pack.needed += location.length;
    storedBytes += location.length;
    return n;
  };
  for (let c = 0; c < count; c += 1) {
    const blobs = contents.blobCount(c);
    for (let k = 0; k < blobs; k += 1) {
      const location = repo.index.lookup(contents.blob(c, k));
      if (location === undefined) continue;
      const n = placeOf(location);
      lengthOf[c] = (lengthOf[c] ?? 0) + location.length;
      if (k === 0) {
        packOf[c] = n;
        offsetOf[c] = location.offset;
        rawOf[c] = location.rawLength;
        codecOf[c] = codecCode(location.codec);
      }
    }
  }
  const order = new Uint32Array(count);
  for (let c = 0; c < count; c += 1) order[c] = c;
  order.sort((a, b) => (packOf[a]! - packOf[b]!) || (offsetOf[a]! - offsetOf[b]!));

  /** Stretches of packs read whole, newest last. */
  const spans: { pack: number; bytes: Uint8Array }[] = [];
  const missing = (id: Id, content: number, describe: (content: number) => string): CairnError =>
    new CairnError('ERR_NOT_FOUND', `data blob ${toHex(id)} of ${describe(content)} is not in the index`, { hint: 'run `cairn check` to see what is damaged' });
  const failed = (error: unknown, id: Id, pack: number, content: number, describe: (content: number) => string): unknown => {
    if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') return error;
    const where = `data blob ${toHex(id)} in ${packFileName(packs[pack]?.name ?? '')} (${describe(content)})`;
    return new CairnError(error.code === 'ERR_NOT_FOUND' ? 'ERR_NOT_FOUND' : 'ERR_INTEGRITY', `${where}: ${error.message}`, { cause: error });
  };
  /** The span holding a blob, if read. */
  const inSpan = (pack: number, offset: number, length: number): Uint8Array | undefined => {
    for (const span of spans) {
      if (span.pack !== pack) continue;
      const at = offset - packs[pack]!.start;
      if (at + length > span.bytes.length) throw new CairnError('ERR_INTEGRITY', `the pack is shorter than the index says: it holds no blob at ${offset}+${length}`);
      return span.bytes.subarray(at, at + length);
    }
    return undefined;
  };
  /** Reads a blob: from its pack's span (read now when dense enough), or alone. */
  const readBlob = async (pack: number, offset: number, length: number): Promise<Uint8Array> => {
    const info = packs[pack]!;
    if (info.needed * 2 < info.end - info.start) return repo.backend.read('data', info.name, { offset, length });
    const bytes = await repo.backend.read('data', info.name, { offset: info.start, length: info.end - info.start });
    spans.push({ pack, bytes });
    if (spans.length > SPANS_KEPT) spans.shift();
    return inSpan(pack, offset, length) ?? bytes;
  };
  const slow = async (content: number, describe: (content: number) => string, take: TakeBlob): Promise<void> => {
    for (const id of contents.blobs(content)) {
      const location = repo.index.lookup(id);
      if (location === undefined) throw missing(id, content, describe);
      const pack = packNumber.get(location.packId)!;
      let stored: Uint8Array;
      try {
        stored = inSpan(pack, location.offset, location.length) ?? (await readBlob(pack, location.offset, location.length));
      } catch (error) {
        throw failed(error, id, pack, content, describe);
      }
      take(id, stored, location.rawLength, codecCode(location.codec));
    }
  };
  return {
    order,
    storedBytes,
    storedSize: (content) => lengthOf[content] ?? 0,
    stored(content, describe, take) {
      const pack = packOf[content]!;
      if (contents.blobCount(content) === 1 && pack !== -1) {
        const offset = offsetOf[content]!;
        const length = lengthOf[content]!;
        let stored: Uint8Array | undefined;
        try {
          stored = inSpan(pack, offset, length);
        } catch (error) {
          throw failed(error, contents.blob(content, 0), pack, content, describe);
        }
        if (stored !== undefined) {
          take(contents.blob(content, 0), stored, rawOf[content]!, codecOf[content]!);
          return undefined;
        }
      }
      return slow(content, describe, take);
    },
    async *plain(content, describe) {
      for (const id of contents.blobs(content)) {
        const location = repo.index.lookup(id);
        if (location === undefined) throw missing(id, content, describe);
        const pack = packNumber.get(location.packId)!;
        let stored: Uint8Array;
        try {
          stored = inSpan(pack, location.offset, location.length) ?? (await readBlob(pack, location.offset, location.length));
        } catch (error) {
          throw failed(error, id, pack, content, describe);
        }
        yield unpackBlob(stored, { id, codec: location.codec, rawLength: location.rawLength }, repo.zstd, `data blob ${toHex(id)} in ${packFileName(packs[pack]!.name)} (${describe(content)})`);
      }
    },
  };
}
