import { CairnError } from '@cairn/core';
import { acquireReadLease } from '../locks/lease.js';
import { describeFilter, findSnapshot, listSnapshots, matchesFilter } from '../repo/snapshots.js';
import type { SnapshotEntry, SnapshotFilter } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { contentIds } from '../repo/content-ids.js';
import { defaultThreads } from '../repo/worker-pool.js';
import type { WorkerModule } from '../repo/worker-pool.js';
import { contentIdOfBlobs } from './file-versions.js';
import { createMatcher, searchContent } from './grep-matcher.js';
import type { GrepLine, GrepPattern, LineOptions } from './grep-matcher.js';
import { GREP_BATCH_BYTES, createGrepPool } from './grep-pool.js';
import type { PooledResult } from './grep-pool.js';
import { createBlobReader } from './grep-reader.js';
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
    const pool = createGrepPool({ search, threads, zstd: repo.zstd, macKey: contentIds(repo.backend).macKey, onResult, describe, ...(options.worker === undefined ? {} : { worker: options.worker }) });
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
