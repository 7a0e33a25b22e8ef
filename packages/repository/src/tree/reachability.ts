import { CairnError, isCairnError, toHex, shortId } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { BlobIndex, Snapshot, TreeListing, TreeNode } from '@cairn/index';
import { snapshotPath } from '../repo/names.js';
import type { IndexLookup, TreeListingLoader, TreeLoader } from '../repo/repository.js';
import { deltaBases } from '../repo/delta-chain.js';

/**
 * What a snapshot references: its roots, and the one walk over the trees and blobs below them.
 * Prune, check, stats, repair, restore and the size limit all ask this file; a new kind of
 * root (a new reference from a snapshot to a tree) is added in snapshotRoots and nowhere else.
 */

/** One tree a snapshot references directly. */
export interface SnapshotRoot {
  /** `tree`: the backed-up paths; `extras`: a working copy's saved VCS data (`--vcs changes`). */
  readonly kind: 'tree' | 'extras';
  readonly tree: Id;
  /** Where the root is, for messages: "/" or "/app (saved VCS data)". */
  readonly label: string;
}

/** Every tree a snapshot references directly: the one home of "what a snapshot references". */
export function snapshotRoots(snapshot: Pick<Snapshot, 'tree' | 'vcs'>): SnapshotRoot[] {
  const roots: SnapshotRoot[] = [{ kind: 'tree', tree: snapshot.tree, label: '/' }];
  for (const copy of snapshot.vcs ?? []) {
    if (copy.extras !== null) roots.push({ kind: 'extras', tree: copy.extras, label: `${copy.path} (saved VCS data)` });
  }
  return roots;
}

/** What the walk hands to its visitor for each distinct tree. */
export interface VisitedTree {
  readonly id: Id;
  readonly hex: string;
  readonly nodes: readonly TreeNode[];
  /** The path of the tree's folder below its root ([] for the root itself). */
  readonly parts: readonly string[];
  readonly root: SnapshotRoot;
}

/** Options of walkTrees. */
export interface WalkOptions {
  /** Trees already visited (hex ids): shared between calls, each tree is visited once in all. */
  readonly seen?: Set<string>;
  readonly signal?: AbortSignal;
  /**
   * Called for a tree that cannot be read (its id is in `seen` afterwards, so it is reported
   * once); without it the walk throws the error. ERR_TRANSIENT and ERR_ABORTED always throw.
   */
  readonly onUnreadable?: (where: string, error: CairnError) => void;
}

/**
 * Visits every distinct tree reachable from `roots`, depth-first, each once (by id). `where`
 * strings name the snapshot (its short id, when `snapshotId` is given) and the path.
 */
export async function walkTrees(
  repo: TreeLoader,
  roots: readonly SnapshotRoot[],
  visit: (tree: VisitedTree) => void | Promise<void>,
  options: WalkOptions & { readonly snapshotId?: string } = {},
): Promise<void> {
  await walkWith(roots, (id, where) => repo.loadTree(id, where), (nodes, add) => {
    // Pushed in reverse so that the walk goes through a folder in name order.
    for (let i = nodes.length - 1; i >= 0; i -= 1) {
      const node = nodes[i]!;
      if (node.subtree !== undefined) add(node.name, node.subtree);
    }
  }, (id, hex, nodes, parts, root) => visit({ id, hex, nodes, parts, root }), options);
}

/** What walkTreeListings hands to its visitor for each distinct tree: its entries read in place. */
export interface VisitedListing {
  readonly id: Id;
  readonly hex: string;
  /** The tree's entries (ids in it are views of the tree's bytes). */
  readonly listing: TreeListing;
  readonly parts: readonly string[];
  readonly root: SnapshotRoot;
}

/**
 * The same walk as walkTrees, each tree read in place (scanTree: no TreeNode per entry), for a
 * walk that needs the references only (a copy between repositories that name content alike).
 */
export async function walkTreeListings(
  repo: TreeListingLoader,
  roots: readonly SnapshotRoot[],
  visit: (tree: VisitedListing) => void | Promise<void>,
  options: WalkOptions & { readonly snapshotId?: string } = {},
): Promise<void> {
  await walkWith(roots, (id, where) => repo.loadTreeListing(id, where), (listing, add) => {
    for (let i = listing.length - 1; i >= 0; i -= 1) {
      const subtree = listing.subtree(i);
      if (subtree !== undefined) add(listing.name(i), subtree);
    }
  }, (id, hex, listing, parts, root) => visit({ id, hex, listing, parts, root }), options);
}

/** The one walk: each distinct tree below `roots` loaded once, visited, then its subtrees (as `subtrees` adds them) pushed. */
async function walkWith<T>(
  roots: readonly SnapshotRoot[],
  load: (id: Id, where: string) => Promise<T>,
  subtrees: (tree: T, add: (name: string, id: Id) => void) => void,
  visit: (id: Id, hex: string, tree: T, parts: readonly string[], root: SnapshotRoot) => void | Promise<void>,
  options: WalkOptions & { readonly snapshotId?: string },
): Promise<void> {
  const seen = options.seen ?? new Set<string>();
  for (const root of roots) {
    const stack: { id: Id; parts: readonly string[] }[] = [{ id: root.tree, parts: [] }];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const hex = toHex(next.id);
      if (seen.has(hex)) continue;
      if (options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'stopped while reading snapshots');
      const where = whereIn(options.snapshotId, root, next.parts);
      let tree: T;
      try {
        tree = await load(next.id, `tree ${hex} (${where})`);
      } catch (error) {
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT' || error.code === 'ERR_ABORTED' || options.onUnreadable === undefined) throw error;
        seen.add(hex);
        options.onUnreadable(where, error);
        continue;
      }
      seen.add(hex);
      await visit(next.id, hex, tree, next.parts, root);
      const parts = next.parts;
      subtrees(tree, (name, id) => stack.push({ id, parts: [...parts, name] }));
    }
  }
}

/** "snapshot 1a2b3c4d5e6f: /app/src" or "/app (saved VCS data): hooks" — where an entry is, for messages. */
export function whereIn(snapshotId: string | undefined, root: SnapshotRoot, parts: readonly string[]): string {
  const path = snapshotPath(parts);
  const inRoot = root.kind === 'tree' ? `/${path}` : path === '' ? root.label : `${root.label}: ${path}`;
  return snapshotId === undefined ? inRoot : `snapshot ${shortId(snapshotId)}: ${inRoot}`;
}

/**
 * Adds to `blobs` the hex ids of the trees and data blobs the given snapshots reference, and
 * the bases of the delta blobs among them (their whole chains): a base stays referenced while
 * any delta needs it.
 */
export async function collectBlobs(
  repo: TreeLoader & IndexLookup,
  snapshots: readonly { readonly id: string; readonly snapshot: Pick<Snapshot, 'tree' | 'vcs'> }[],
  blobs: Set<string>,
  options: WalkOptions = {},
): Promise<void> {
  const seen = options.seen ?? new Set<string>();
  for (const { id, snapshot } of snapshots) {
    await walkTrees(repo, snapshotRoots(snapshot), (tree) => {
      blobs.add(tree.hex);
      for (const node of tree.nodes) {
        for (const blob of node.content ?? []) {
          const hex = toHex(blob);
          if (blobs.has(hex)) continue;
          blobs.add(hex);
          if (repo.index.lookup(blob)?.base !== undefined) for (const base of deltaBases(repo.index, blob)) blobs.add(toHex(base));
        }
      }
    }, { ...options, seen, snapshotId: id });
  }
}

/**
 * Why a restore would refuse or get a node wrong, judged from the node and the index alone,
 * or undefined when it is sound: a symlink without a target, a file whose content ids are not
 * data blobs or whose size is not the sum of its chunks, a folder whose subtree is not a tree.
 * Check reports it; restore refuses the entry with the same sentence.
 */
export function nodeProblem(node: TreeNode, index: Pick<BlobIndex, 'lookup'>): string | undefined {
  switch (node.type) {
    case 'symlink':
      if (node.linkTarget === undefined || node.linkTarget === '') return 'is a symlink without a target';
      if (node.linkTarget.includes('\0')) return 'is a symlink whose target holds a NUL byte';
      return undefined;
    case 'dir': {
      if (node.subtree === undefined) return undefined;
      const location = index.lookup(node.subtree);
      if (location !== undefined && location.type !== 'tree') return `is a folder whose listing ${toHex(node.subtree)} is a ${location.type} blob, not a tree`;
      return undefined;
    }
    case 'file': {
      if (node.content === undefined) return undefined; // recorded by reference, or a file without content list
      let size = 0;
      for (const id of node.content) {
        const location = index.lookup(id);
        if (location === undefined) return `data blob ${toHex(id)} is not in the index (the pack holding it is missing or unindexed)`;
        if (location.type !== 'data') return `its content ${toHex(id)} is a ${location.type} blob, not file data`;
        if (location.base !== undefined) {
          let chain: Id[];
          try {
            chain = deltaBases(index, id);
          } catch (error) {
            return error instanceof Error ? error.message : String(error);
          }
          for (const base of chain) {
            if (index.lookup(base) === undefined) return `data blob ${toHex(id)} is a delta whose base ${toHex(base)} is not in the index (the pack holding it is missing or unindexed)`;
          }
        }
        size += location.rawLength;
      }
      if (size !== node.size) return `records a size of ${node.size} bytes but its content is ${size} bytes`;
      return undefined;
    }
    default:
      return undefined;
  }
}
