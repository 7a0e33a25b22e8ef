import { CairnError, toHex } from '@cairn/core';
import type { TreeListing, TreeNode } from '@cairn/index';
import { withReadLease } from '../locks/lease.js';
import { matchIdPrefix } from '../repo/prefix.js';
import { findSnapshot, listSnapshots, matchesFilter } from '../repo/snapshots.js';
import type { SnapshotEntry, SnapshotFilter, SnapshotProblem } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { compileFindPattern } from './find-pattern.js';
import type { FindPattern, PatternState } from './find-pattern.js';
import { createSharedTreeWalk } from './snapshot-walk.js';
import type { TreeChild, TreeFold } from './snapshot-walk.js';

/** What `find` looks for; an entry is a hit when it passes every criterion given. */
export interface FindQuery {
  /** Names, globs or paths (see compileFindPattern): the entry matches any of them. */
  readonly patterns?: readonly string[];
  /** Match the patterns without regard to case. */
  readonly ignoreCase?: boolean;
  /** Data blob ids or unique-enough prefixes: files holding any of them. */
  readonly blobs?: readonly string[];
  /** Tree ids or prefixes: folders (or a snapshot's root) whose listing is one of them. */
  readonly trees?: readonly string[];
  /** Pack ids or unique prefixes: files holding a data blob of the pack, folders whose listing is in it. */
  readonly packs?: readonly string[];
  /** Only entries modified at or after this time (nanoseconds since 1970). */
  readonly oldest?: bigint;
  /** Only entries modified at or before this time (nanoseconds since 1970). */
  readonly newest?: bigint;
  /** Only these snapshots (ids, unique prefixes or "latest"); each must pass `filter` too. */
  readonly snapshots?: readonly string[];
  /** Only snapshots passing this filter. */
  readonly filter?: SnapshotFilter;
  /** Called for a snapshot file that cannot be read (it is skipped). */
  readonly onUnreadable?: (problem: SnapshotProblem) => void;
  readonly signal?: AbortSignal;
}

/** One hit, grouped: a path and a node that are the same in every snapshot named. */
export interface FindMatch {
  /** The entry's path in the snapshot ('/'-separated, no leading '/'); "" for a snapshot's root tree. */
  readonly path: string;
  /** The entry; null for a snapshot's root tree (found by --tree). */
  readonly node: TreeNode | null;
  /** The blob or tree ids that made it a hit (id searches only; hex). */
  readonly ids: readonly string[];
  /** Full ids of the snapshots holding this very entry, oldest first. */
  readonly snapshots: readonly string[];
}

/** What findInSnapshots found. */
export interface FindResult {
  /** Grouped hits, by path, then by their oldest snapshot. */
  readonly matches: FindMatch[];
  /** Snapshots searched (full ids, oldest first). */
  readonly snapshots: readonly string[];
  /** Hits before grouping (one per snapshot an entry is in). */
  readonly hits: number;
  /** Trees read: each distinct tree once per pattern scope, however many snapshots share it. */
  readonly treesLoaded: number;
}

/** The hits of one tree (relative to it), shared by every snapshot and folder holding it. */
interface FoundTree {
  readonly hits: readonly { readonly name: string; readonly node: TreeNode; readonly ids: readonly string[] }[];
  readonly below: readonly { readonly name: string; readonly found: FoundTree }[];
}

/**
 * Finds entries by name, glob or path, by blob, tree or pack id, and by modification time, in
 * every snapshot the query selects. Each tree is read and matched once (per pattern scope)
 * however many snapshots share it; hits that are the same entry (same path, same node: content
 * and metadata) in several snapshots come back as one match naming them all.
 * ERR_USAGE for a bad pattern or id, ERR_NOT_FOUND for an id nothing in the repository has.
 */
export async function findInSnapshots(repo: Repository, query: FindQuery): Promise<FindResult> {
  const patterns = (query.patterns ?? []).map((text) => compileFindPattern(text, { caseInsensitive: query.ignoreCase === true }));
  return withReadLease(repo, { purpose: 'find' }, async () => {
    const ids = resolveIds(repo, query);
    const selected = await selectSnapshots(repo, query);
    const matcher = createMatcher(patterns, ids, query);
    const walk = createSharedTreeWalk(repo, matcher.fold, query.signal === undefined ? {} : { signal: query.signal });
    const groups = new Map<string, Group[]>();
    let hits = 0;
    const add = (path: string, node: TreeNode | null, matched: readonly string[], snapshots: readonly number[]): void => {
      hits += snapshots.length;
      let atPath = groups.get(path);
      if (atPath === undefined) groups.set(path, (atPath = []));
      // The same node object (a shared tree) is the same entry; else compare content and metadata.
      let group = atPath.find((g) => g.node === node) ?? atPath.find((g) => sameNode(g.node, node));
      if (group === undefined) atPath.push((group = { node, ids: matched, snapshots: new Set() }));
      for (const snapshot of snapshots) group.snapshots.add(snapshot);
    };
    const roots: { found: FoundTree; snapshot: number }[] = [];
    for (const [i, { id, snapshot }] of selected.entries()) {
      const rootIds = ids.trees === undefined ? [] : matchedIds(ids.trees, toHex(snapshot.tree));
      if (rootIds.length > 0) add('', null, rootIds, [i]);
      const found = await walk.fold(snapshot.tree, matcher.start, `snapshot ${id.slice(0, 12)}: /`);
      if (found !== null) roots.push({ found, snapshot: i });
    }
    placeHits(roots, (path, hit, snapshots) => add(path, hit.node, hit.ids, snapshots));
    const matches: FindMatch[] = [];
    for (const path of [...groups.keys()].sort()) {
      const atPath = groups.get(path)!.map((g) => ({ ...g, order: [...g.snapshots].sort((a, b) => a - b) })).sort((a, b) => a.order[0]! - b.order[0]!);
      for (const g of atPath) matches.push({ path, node: g.node, ids: g.ids, snapshots: g.order.map((s) => selected[s]!.id) });
    }
    return { matches, snapshots: selected.map((s) => s.id), hits, treesLoaded: walk.treesLoaded };
  });
}

interface Group {
  readonly node: TreeNode | null;
  readonly ids: readonly string[];
  /** Indexes into the selected snapshots. */
  readonly snapshots: Set<number>;
}

/**
 * Calls `visit` for every hit below the snapshots' found trees, with its path and the snapshots
 * (indexes, ascending) holding it there. Snapshots share found trees as they share trees: each
 * (found tree, folder) is expanded once, a level at a time (all the folders holding a folder are
 * one level up), so the work follows the distinct hits, not hits times snapshots.
 */
function placeHits(roots: readonly { found: FoundTree; snapshot: number }[], visit: (path: string, hit: FoundTree['hits'][number], snapshots: readonly number[]) => void): void {
  interface Place { readonly found: FoundTree; readonly prefix: string; readonly snapshots: number[] }
  const at = (level: Map<FoundTree, Map<string, Place>>, found: FoundTree, prefix: string): Place => {
    let byPrefix = level.get(found);
    if (byPrefix === undefined) level.set(found, (byPrefix = new Map()));
    let place = byPrefix.get(prefix);
    if (place === undefined) byPrefix.set(prefix, (place = { found, prefix, snapshots: [] }));
    return place;
  };
  let level = new Map<FoundTree, Map<string, Place>>();
  for (const { found, snapshot } of roots) at(level, found, '').snapshots.push(snapshot);
  while (level.size > 0) {
    const next = new Map<FoundTree, Map<string, Place>>();
    for (const byPrefix of level.values()) {
      for (const place of byPrefix.values()) {
        const snapshots = [...new Set(place.snapshots)].sort((a, b) => a - b);
        for (const hit of place.found.hits) visit(place.prefix + hit.name, hit, snapshots);
        for (const { name, found } of place.found.below) at(next, found, `${place.prefix}${name}/`).snapshots.push(...snapshots);
      }
    }
    level = next;
  }
}

/** True when two hits are the same entry: both a snapshot's root, or nodes with the same content and metadata. */
function sameNode(a: TreeNode | null, b: TreeNode | null): boolean {
  return a === null || b === null ? a === b : nodeKey(a) === nodeKey(b);
}

const nodeKeys = new WeakMap<TreeNode, string>();

/** The identity of a node for grouping: its content and metadata (not inode, device, link count or ctime). */
function nodeKey(node: TreeNode): string {
  let key = nodeKeys.get(node);
  if (key === undefined) {
    key = [
      node.type, node.mode, node.uid, node.gid, node.mtimeNs, node.size,
      (node.content ?? []).map(toHex).join(','),
      node.subtree === undefined ? '' : toHex(node.subtree),
      node.linkTarget ?? '', node.rdev ?? '',
      node.ref === undefined ? '' : JSON.stringify(node.ref),
      (node.xattrs ?? []).map((x) => `${x.name}=${toHex(x.value)}`).join(','),
    ].join('\0');
    nodeKeys.set(node, key);
  }
  return key;
}

/** The full hex ids that id searches look for: data blobs, trees. */
interface IdSets {
  readonly blobs?: Set<string>;
  readonly trees?: Set<string>;
}

function matchedIds(set: Set<string>, hex: string): string[] {
  return set.has(hex) ? [hex] : [];
}

/** Resolves the query's id prefixes against the index; ERR_USAGE when not hex, ERR_NOT_FOUND when no blob has one. */
function resolveIds(repo: Repository, query: FindQuery): IdSets {
  const blobPrefixes = query.blobs ?? [];
  const treePrefixes = query.trees ?? [];
  const packPrefixes = query.packs ?? [];
  if (blobPrefixes.length + treePrefixes.length + packPrefixes.length === 0) return {};
  for (const [what, list] of [['blob', blobPrefixes], ['tree', treePrefixes], ['pack', packPrefixes]] as const) {
    for (const prefix of list) {
      if (!/^[0-9a-f]{1,64}$/.test(prefix)) throw new CairnError('ERR_USAGE', `"${prefix}" is not a ${what} id: give hex digits of an id (at most 64)`);
    }
  }
  const blobs = new Set<string>();
  const trees = new Set<string>();
  const packs = packPrefixes.map((prefix) => toHex(matchIdPrefix(repo.index.packIds(), toHex, prefix, 'pack', 'pack ids are the names of the files under data/ in the repository')));
  const found = new Map<string, { data: number; tree: number }>([...blobPrefixes, ...treePrefixes].map((p) => [p, { data: 0, tree: 0 }]));
  for (const [id, location] of repo.index.entries()) {
    const hex = toHex(id);
    for (const prefix of blobPrefixes) {
      if (!hex.startsWith(prefix)) continue;
      found.get(prefix)![location.type] += 1;
      if (location.type === 'data') blobs.add(hex);
    }
    for (const prefix of treePrefixes) {
      if (!hex.startsWith(prefix)) continue;
      found.get(prefix)![location.type] += 1;
      if (location.type === 'tree') trees.add(hex);
    }
    if (packs.length > 0 && packs.includes(toHex(location.packId))) (location.type === 'tree' ? trees : blobs).add(hex);
  }
  const missing = (prefix: string, wanted: 'data' | 'tree', flag: string, other: string): CairnError => {
    const counts = found.get(prefix)!;
    const otherKind = wanted === 'data' ? 'tree' : 'data';
    return new CairnError('ERR_NOT_FOUND', `no ${wanted === 'data' ? 'data blob' : 'tree'} has an id starting with "${prefix}"`, {
      hint: counts[otherKind] > 0 ? `"${prefix}" is a ${otherKind === 'data' ? 'data blob' : 'tree'}: look for it with ${other}` : `check the id (${flag}): \`cairn cat tree <id>\` and \`cairn cat pack <id>\` show the ids there are`,
    });
  };
  for (const prefix of blobPrefixes) if (found.get(prefix)!.data === 0) throw missing(prefix, 'data', '--blob', '--tree');
  for (const prefix of treePrefixes) if (found.get(prefix)!.tree === 0) throw missing(prefix, 'tree', '--tree', '--blob');
  return {
    ...(blobPrefixes.length > 0 || packs.length > 0 ? { blobs } : {}),
    ...(treePrefixes.length > 0 || packs.length > 0 ? { trees } : {}),
  };
}

/** The snapshots the query names (or all), that pass its filter, oldest first, each once. */
async function selectSnapshots(repo: Repository, query: FindQuery): Promise<SnapshotEntry[]> {
  const filter = query.filter ?? {};
  const options = { filter, ...(query.onUnreadable === undefined ? {} : { onUnreadable: query.onUnreadable }) };
  const { snapshots, problems } = await listSnapshots(repo);
  if ((query.snapshots ?? []).length === 0) {
    for (const problem of problems) query.onUnreadable?.(problem);
    return snapshots.filter((s) => matchesFilter(s.snapshot, filter));
  }
  const named = new Set<string>();
  for (const ref of query.snapshots ?? []) named.add((await findSnapshot(repo, ref, options)).id);
  return snapshots.filter((s) => named.has(s.id));
}

/** The fold find asks of each tree, and the scope of a snapshot's root. */
function createMatcher(patterns: readonly FindPattern[], ids: IdSets, query: FindQuery): { fold: TreeFold<readonly (PatternState | null)[], FoundTree | null>; start: readonly (PatternState | null)[] } {
  const oldest = query.oldest;
  const newest = query.newest;
  const byName = patterns.length > 0;
  const byId = ids.blobs !== undefined || ids.trees !== undefined;
  // Name patterns see no path: their scope is always the same, so each tree is matched once.
  const pathFree = patterns.every((p) => p.nameOnly);
  const fold: TreeFold<readonly (PatternState | null)[], FoundTree | null> = {
    key: (state) => (pathFree ? '' : state.map((s) => (s === null ? '-' : s.join('.'))).join('|')),
    step(listing, state) {
      const hits: FoundTree['hits'][number][] = [];
      const children: TreeChild<readonly (PatternState | null)[]>[] = [];
      const names: string[] = [];
      for (let n = 0; n < listing.length; n += 1) {
        const name = listing.name(n);
        const subtree = listing.subtree(n);
        let nameHit = !byName;
        // The states below a folder (files need none).
        const next: (PatternState | null)[] | undefined = subtree === undefined ? undefined : [];
        for (let i = 0; i < patterns.length; i += 1) {
          const s = state[i];
          if (s === null || s === undefined) {
            next?.push(null);
            continue;
          }
          const stepped = patterns[i]!.step(s, name);
          if (stepped.hit) nameHit = true;
          next?.push(stepped.next);
        }
        if (nameHit && inWindow(listing, n, oldest, newest)) {
          const matched = byId ? nodeIds(listing, n, ids) : [];
          if (!byId || matched.length > 0) hits.push({ name, node: listing.node(n), ids: matched });
        }
        // Below a folder that no pattern can match in, there is nothing to find.
        if (subtree !== undefined && next !== undefined && (!byName || next.some((s) => s !== null))) {
          children.push({ name, tree: new Uint8Array(subtree), state: next }); // a copy: see TreeFold.step
          names.push(name);
        }
      }
      return {
        children,
        finish(results) {
          const below: { name: string; found: FoundTree }[] = [];
          for (const [i, found] of results.entries()) if (found !== null) below.push({ name: names[i]!, found });
          return hits.length === 0 && below.length === 0 ? null : { hits, below };
        },
      };
    },
  };
  return { fold, start: patterns.map((p) => p.start) };
}

/** True when entry `n`'s modification time is in the window (always, without one). */
function inWindow(listing: TreeListing, n: number, oldest: bigint | undefined, newest: bigint | undefined): boolean {
  if (oldest === undefined && newest === undefined) return true;
  const mtimeNs = listing.mtimeNs(n);
  return (oldest === undefined || mtimeNs >= oldest) && (newest === undefined || mtimeNs <= newest);
}

/** The searched ids entry `n` holds: its data blobs, or its folder's tree. */
function nodeIds(listing: TreeListing, n: number, ids: IdSets): string[] {
  const out: string[] = [];
  if (ids.blobs !== undefined) for (const blob of listing.content(n) ?? []) {
    const hex = toHex(blob);
    if (ids.blobs.has(hex) && !out.includes(hex)) out.push(hex);
  }
  const subtree = listing.subtree(n);
  if (ids.trees !== undefined && subtree !== undefined) {
    const hex = toHex(subtree);
    if (ids.trees.has(hex)) out.push(hex);
  }
  return out;
}
