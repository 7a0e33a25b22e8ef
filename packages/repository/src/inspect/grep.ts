import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { acquireReadLease } from '../locks/lease.js';
import { unpackBlob } from '../repo/blob-check.js';
import { packFileName } from '../repo/names.js';
import { createPackCache } from '../repo/pack-cache.js';
import { describeFilter, findSnapshot, listSnapshots, matchesFilter } from '../repo/snapshots.js';
import type { SnapshotEntry, SnapshotFilter } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { createMatcher, searchContent } from './grep-matcher.js';
import type { ContentResult, GrepLine, GrepPattern, LineOptions } from './grep-matcher.js';
import { holdersOf, walkSnapshots } from './grep-walk.js';
import { createSelection } from '../tree/path-selection.js';
import type { FileRecord } from './grep-walk.js';

/** Options of grep and pickaxe. */
export interface GrepOptions extends GrepPattern, LineOptions {
  /** Paths or globs in the snapshots to search (restore's rules); default: every file. */
  readonly paths?: readonly string[];
  /** Which snapshots to search (default: every readable one). */
  readonly filter?: SnapshotFilter;
  /** Only these snapshots (ids, unique prefixes or `latest`), each of which must pass the filter. */
  readonly snapshots?: readonly string[];
  readonly signal?: AbortSignal;
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
  readonly records: FileRecord[];
  readonly results: Map<string, ContentResult>;
  readonly summary: GrepSummary;
}

/**
 * Searches the files of every snapshot passing options.filter for a pattern, as grep over each
 * restored snapshot would, but reading each unique content once: `onHit` gets each matching
 * (path, content) pair with the snapshots that hold it, in path order. Binary files are skipped
 * unless options.binary. ERR_USAGE for a bad pattern or path; ERR_NOT_FOUND when no snapshot passes the filter.
 */
export async function grep(repo: Repository, options: GrepOptions, onHit: (hit: GrepHit) => void): Promise<GrepSummary> {
  const { snapshots, records, results, summary } = await searchSnapshots(repo, options);
  for (const record of records) {
    const result = results.get(record.key);
    if (result === undefined || result.count === 0) continue;
    onHit({ path: record.path, content: record.key, snapshots: holdersOf(record).map((i) => snapshotOf(snapshots[i]!)), count: result.count, lines: result.lines });
  }
  return summary;
}

/** The snapshot as results name it. */
export function snapshotOf(entry: SnapshotEntry): GrepSnapshot {
  return { id: entry.id, time: new Date(Number(entry.snapshot.time / 1_000_000n)).toISOString() };
}

/** The search behind grep and pickaxe: walk, then search each unique content once in the order its blobs are stored. */
export async function searchSnapshots(repo: Repository, options: GrepOptions): Promise<SearchOutcome> {
  createMatcher(options); // a bad pattern fails before any work
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
    const { records, treeLoads } = await walkSnapshots(repo, snapshots, select, options.signal);
    records.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (holdersOf(a)[0] ?? 0) - (holdersOf(b)[0] ?? 0)));
    const contents = new Map<string, readonly Id[]>();
    let logicalBytes = 0;
    for (const record of records) {
      contents.set(record.key, record.node.content ?? []);
      logicalBytes += record.node.size * holdersOf(record).length;
    }
    const read = createBlobReader(repo, [...contents.values()]);
    const order = [...contents.entries()].map(([key, content]) => ({ key, content, at: read.position(content) })).sort((a, b) => a.at - b.at);
    const matcher = createMatcher(options);
    const results = new Map<string, ContentResult>();
    let bytesDecompressed = 0;
    for (const { key, content } of order) {
      if (options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'grep stopped while searching');
      const result = await searchContent(read.blobs(content, key), matcher, options);
      results.set(key, result);
      bytesDecompressed += result.bytes;
      options.onProgress?.({ contents: results.size, totalContents: order.length, bytes: bytesDecompressed });
    }
    const all = [...results.values()];
    return {
      snapshots,
      records,
      results,
      summary: {
        snapshots: snapshots.length,
        files: records.length,
        contents: contents.size,
        binarySkipped: all.filter((r) => r.binary).length,
        tooLong: all.filter((r) => r.tooLong).length,
        matchingContents: all.filter((r) => r.count > 0).length,
        matchingFiles: records.filter((r) => (results.get(r.key)?.count ?? 0) > 0).length,
        bytesDecompressed,
        logicalBytes,
        treeLoads,
      },
    };
  } finally {
    await lease?.release();
  }
}

/**
 * Reads file contents blob by blob. A pack most of whose bytes the search needs is read whole
 * once (a pack cache); from any other, only the blobs needed are read.
 */
function createBlobReader(repo: Repository, contents: readonly (readonly Id[])[]): { position(content: readonly Id[]): number; blobs(content: readonly Id[], key: string): AsyncGenerator<Uint8Array> } {
  const needed = new Map<string, number>();
  const packOrder = new Map<string, number>();
  const seen = new Set<string>();
  for (const content of contents) {
    for (const id of content) {
      const hex = toHex(id);
      if (seen.has(hex)) continue;
      seen.add(hex);
      const location = repo.index.lookup(id);
      if (location === undefined) continue;
      const pack = toHex(location.packId);
      needed.set(pack, (needed.get(pack) ?? 0) + location.length);
    }
  }
  const packBytes = new Map<string, number>();
  for (const [, location] of repo.index.entries()) {
    const pack = toHex(location.packId);
    if (needed.has(pack)) packBytes.set(pack, (packBytes.get(pack) ?? 0) + location.length);
  }
  for (const pack of [...needed.keys()].sort()) packOrder.set(pack, packOrder.size);
  const cache = createPackCache(repo.backend, 2 * repo.config.packSize + 1);
  return {
    position(content) {
      const first = content[0];
      const location = first === undefined ? undefined : repo.index.lookup(first);
      if (location === undefined) return 0;
      return (packOrder.get(toHex(location.packId)) ?? 0) * 2 ** 32 + location.offset;
    },
    async *blobs(content, key) {
      for (const id of content) {
        const hex = toHex(id);
        const location = repo.index.lookup(id);
        if (location === undefined) {
          throw new CairnError('ERR_NOT_FOUND', `data blob ${hex} of content ${key.slice(0, 12)} is not in the index`, { hint: 'run `cairn check` to see what is damaged' });
        }
        const pack = toHex(location.packId);
        const where = `data blob ${hex} in ${packFileName(pack)}`;
        let stored: Uint8Array;
        try {
          stored = (needed.get(pack) ?? 0) * 2 >= (packBytes.get(pack) ?? Infinity)
            ? await cache.read(location.packId, location.offset, location.length)
            : await repo.backend.read('data', pack, { offset: location.offset, length: location.length });
        } catch (error) {
          if (isCairnError(error) && error.code !== 'ERR_TRANSIENT') {
            throw new CairnError(error.code === 'ERR_NOT_FOUND' ? 'ERR_NOT_FOUND' : 'ERR_INTEGRITY', `${where}: ${error.message}`, { cause: error });
          }
          throw error;
        }
        yield unpackBlob(stored, { id, codec: location.codec, rawLength: location.rawLength }, repo, where);
      }
    },
  };
}
