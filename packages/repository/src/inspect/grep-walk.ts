import { CairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { SnapshotEntry } from '../repo/snapshots.js';
import type { TreeListingLoader } from '../repo/repository.js';

/**
 * A folder as reached at one path: a (tree id, path) pair is loaded and walked once however many
 * snapshots hold it; the snapshots that hold it are those of its parents (or, at the top, its own).
 */
export interface Occurrence {
  /** The folder's path in the snapshots ('' at the top). */
  readonly path: string;
  readonly parents: Occurrence[];
  readonly roots: number[];
  holders?: number[];
}

/**
 * One file path with one content, and where it was found. The path is not kept as a string
 * (pathOf builds it): only the few files a search reports need it.
 */
export interface FileRecord {
  /** The folder holding the file where it was first found. */
  readonly folder: Occurrence;
  readonly name: string;
  /** The content's number: an index into WalkResult.contents. */
  readonly content: number;
  readonly size: number;
  /** The folders it was found in after the first (same path, other folder trees). */
  more?: Occurrence[];
  /** holdersOf's answer, once asked (for a file in more than one folder tree). */
  holders?: number[];
  /** Another content found at the same path. */
  next?: FileRecord;
}

/** Every (path, content) pair of some snapshots, each unique folder walked once. */
export interface WalkResult {
  readonly records: FileRecord[];
  /** Each distinct content's blob ids, by content number. */
  readonly contents: Contents;
  /** Unique (tree, path) folders loaded. */
  readonly treeLoads: number;
}

/** The file's path in the snapshots. */
export function pathOf(record: FileRecord): string {
  return record.folder.path === '' ? record.name : `${record.folder.path}/${record.name}`;
}

/** The distinct contents of a walk: each one's blob ids, copied back to back into one buffer (no object per file). */
export interface Contents {
  /** How many there are; content numbers run from 0. */
  readonly size: number;
  /** How many blobs content `n` has. */
  blobCount(n: number): number;
  /** The id of blob `k` of content `n` (a view into the table). */
  blob(n: number, k: number): Id;
  /** Every blob id of content `n` (views into the table). */
  blobs(n: number): Id[];
}

/**
 * Numbers distinct contents by their blob ids without a string or object per file: a
 * single-blob content is found by its id's first bytes (a number) and then compared; the rare
 * ids sharing those bytes with another, and contents of several blobs, go by their hex ids.
 */
function createContentTable(): Contents & { numberOf(ids: readonly Id[]): number } {
  let ids = new Uint8Array(1 << 20);
  let blobsUsed = 0;
  let first = new Uint32Array(1 << 15);
  let count = new Uint32Array(1 << 15);
  let size = 0;
  const byWord = new Map<number, number>();
  const byHex = new Map<string, number>();
  const add = (list: readonly Id[]): number => {
    if (size === first.length) {
      const [f, c] = [new Uint32Array(size * 2), new Uint32Array(size * 2)];
      f.set(first);
      c.set(count);
      [first, count] = [f, c];
    }
    if ((blobsUsed + list.length) * 32 > ids.length) {
      const grown = new Uint8Array(Math.max(ids.length * 2, (blobsUsed + list.length) * 32));
      grown.set(ids);
      ids = grown;
    }
    first[size] = blobsUsed;
    count[size] = list.length;
    for (const id of list) ids.set(id, (blobsUsed++) * 32);
    return size++;
  };
  const numberOfHex = (list: readonly Id[]): number => {
    const hex = list.map(toHex).join(',');
    const found = byHex.get(hex);
    if (found !== undefined) return found;
    const n = add(list);
    byHex.set(hex, n);
    return n;
  };
  const sameId = (n: number, id: Id): boolean => {
    if (count[n] !== 1) return false;
    const at = (first[n] ?? 0) * 32;
    for (let i = 0; i < 32; i += 1) if (ids[at + i] !== id[i]) return false;
    return true;
  };
  const blob = (n: number, k: number): Id => {
    const at = ((first[n] ?? 0) + k) * 32;
    return ids.subarray(at, at + 32);
  };
  return {
    get size() {
      return size;
    },
    blobCount: (n) => count[n] ?? 0,
    blob,
    blobs: (n) => Array.from({ length: count[n] ?? 0 }, (_, k) => blob(n, k)),
    numberOf(list) {
      const id = list[0];
      if (list.length !== 1 || id === undefined) return numberOfHex(list);
      const word = ((id[0] ?? 0) << 22) | ((id[1] ?? 0) << 14) | ((id[2] ?? 0) << 6) | ((id[3] ?? 0) >>> 2);
      const found = byWord.get(word);
      if (found === undefined) {
        const n = add(list);
        byWord.set(word, n);
        return n;
      }
      return sameId(found, id) ? found : numberOfHex(list);
    },
  };
}

/** Walks the snapshots' trees, collecting the regular files with content (those `select` takes). */
export async function walkSnapshots(
  repo: TreeListingLoader,
  snapshots: readonly SnapshotEntry[],
  select: ((path: string) => boolean) | null,
  signal?: AbortSignal,
): Promise<WalkResult> {
  const occurrences = new Map<string, Occurrence>();
  /**
   * The files found so far in each folder path: a list while the path was reached through one
   * folder tree (a tree's names are unique, so nothing to compare), by name once it is reached
   * through another.
   */
  const folders = new Map<string, FileRecord[] | Map<string, FileRecord>>();
  const records: FileRecord[] = [];
  const table = createContentTable();
  let treeLoads = 0;

  const byName = (list: readonly FileRecord[]): Map<string, FileRecord> => {
    const named = new Map<string, FileRecord>();
    for (const record of list) {
      const first = named.get(record.name);
      if (first === undefined) named.set(record.name, record);
      else {
        record.next = first.next;
        first.next = record;
      }
    }
    return named;
  };

  const walk = async (tree: Id, occurrence: Occurrence, selected: boolean): Promise<void> => {
    if (signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'grep stopped while reading snapshots');
    treeLoads += 1;
    const here = occurrence.path;
    const earlier = folders.get(here);
    const named = earlier === undefined ? undefined : Array.isArray(earlier) ? byName(earlier) : earlier;
    if (named !== undefined) folders.set(here, named);
    const list: FileRecord[] | undefined = named === undefined ? [] : undefined;
    // Read in place: only names, types, subtrees and, for the files taken, their blob ids and size.
    const listing = await repo.loadTreeListing(tree, `tree of ${here || '/'}`);
    for (let i = 0; i < listing.length; i += 1) {
      const name = listing.name(i);
      const subtree = listing.subtree(i);
      const path = select === null || selected ? null : here === '' ? name : `${here}/${name}`;
      const taken = path === null || select === null || select(path);
      if (subtree !== undefined) {
        const childPath = path ?? (here === '' ? name : `${here}/${name}`);
        const key = `${toHex(subtree)}\0${childPath}`;
        const seen = occurrences.get(key);
        if (seen !== undefined) {
          seen.parents.push(occurrence);
          continue;
        }
        const child: Occurrence = { path: childPath, parents: [occurrence], roots: [] };
        occurrences.set(key, child);
        await walk(subtree, child, selected || (select !== null && taken));
      } else if (taken && listing.type(i) === 'file') {
        const blobs = listing.content(i);
        if (blobs === undefined || blobs.length === 0) continue;
        const content = table.numberOf(blobs);
        const added: FileRecord = { folder: occurrence, name, content, size: listing.size(i) };
        if (list !== undefined) {
          list.push(added);
          records.push(added);
          continue;
        }
        const first = named!.get(name);
        let record = first;
        while (record !== undefined && record.content !== content) record = record.next;
        if (record !== undefined) {
          (record.more ??= []).push(occurrence);
          continue;
        }
        if (first === undefined) named!.set(name, added);
        else {
          added.next = first.next;
          first.next = added;
        }
        records.push(added);
      }
    }
    if (list !== undefined) folders.set(here, list);
  };

  for (const [i, { snapshot }] of snapshots.entries()) {
    const key = `${toHex(snapshot.tree)}\0`;
    const seen = occurrences.get(key);
    if (seen !== undefined) {
      seen.roots.push(i);
      continue;
    }
    const root: Occurrence = { path: '', parents: [], roots: [i] };
    occurrences.set(key, root);
    await walk(snapshot.tree, root, false);
  }
  return { records, contents: table, treeLoads };
}

/** The indices (into the walked snapshots, ascending) of the snapshots holding a record. */
export function holdersOf(record: FileRecord): number[] {
  if (record.more === undefined) return occurrenceHolders(record.folder);
  if (record.holders === undefined) {
    const all = new Set<number>(occurrenceHolders(record.folder));
    for (const occurrence of record.more) for (const i of occurrenceHolders(occurrence)) all.add(i);
    record.holders = [...all].sort((a, b) => a - b);
  }
  return record.holders;
}

function occurrenceHolders(occurrence: Occurrence): number[] {
  if (occurrence.holders === undefined) {
    const all = new Set<number>(occurrence.roots);
    for (const parent of occurrence.parents) for (const i of occurrenceHolders(parent)) all.add(i);
    occurrence.holders = [...all].sort((a, b) => a - b);
  }
  return occurrence.holders;
}

/** Orders records by path, then by the first snapshot holding them (the order results are reported in). */
export function byPath(a: FileRecord, b: FileRecord): number {
  const [pa, pb] = [pathOf(a), pathOf(b)];
  return pa < pb ? -1 : pa > pb ? 1 : (holdersOf(a)[0] ?? 0) - (holdersOf(b)[0] ?? 0);
}
