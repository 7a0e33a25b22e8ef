import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { TreeListing } from '@cairn/index';
import type { TreeListingLoader } from '../repo/repository.js';

/**
 * A memoised fold over the trees of many snapshots, for questions asked of every snapshot at
 * once (find; grep and versions may ask theirs the same way): each tree is read and folded
 * once per scope, however many snapshots and folders hold it. Snapshots of one source share
 * almost every tree, so adding snapshots costs only the trees that are new in them.
 *
 * A fold's result for a tree may depend only on the tree and its scope (`key`): a question
 * that depends on where the tree is (a path-anchored pattern) puts that part of the path in
 * its scope, and a result names paths relative to the tree, for the caller to prefix.
 */

/** One child folder a tree step wants folded, in the scope `state`. */
export interface TreeChild<S> {
  readonly name: string;
  readonly tree: Id;
  readonly state: S;
}

/** What a fold makes of one tree: the child folders to fold, and how to finish with their results. */
export interface TreeStep<S, R> {
  readonly children: readonly TreeChild<S>[];
  /** The tree's result from its children's results (in the order of `children`). */
  finish(results: readonly R[]): R;
}

/** A question asked of trees: scopes, and what one tree contributes. */
export interface TreeFold<S, R> {
  /** The memo key of a scope: two visits of one tree with equal keys share one result. */
  key(state: S): string;
  /**
   * Reads one tree's entries in a scope (read in place: ask `listing.node(i)` for the full node
   * of just the entries the result keeps; the listing is dropped). Ids from the listing are views
   * of the tree's bytes: copy those kept for long (TreeChild.tree is copied).
   */
  step(listing: TreeListing, state: S): TreeStep<S, R>;
}

/** A memoised walk: fold trees, each (tree, scope) once for the walk's lifetime. */
export interface SharedTreeWalk<S, R> {
  /** The result of `tree` in scope `state`; `where` names it in messages ("snapshot 1a2b3c4d: /"). */
  fold(tree: Id, state: S, where: string): Promise<R>;
  /** Trees read so far (each distinct (tree, scope) once). */
  readonly treesLoaded: number;
}

/** Options of createSharedTreeWalk. */
export interface SharedTreeWalkOptions {
  readonly signal?: AbortSignal;
}

/** Creates a memoised walk of `fold` over the trees `repo` loads. */
export function createSharedTreeWalk<S, R>(repo: TreeListingLoader, fold: TreeFold<S, R>, options: SharedTreeWalkOptions = {}): SharedTreeWalk<S, R> {
  const memo = new Map<string, Promise<R>>();
  let treesLoaded = 0;

  const visit = (tree: Id, state: S, where: string): Promise<R> => {
    const hex = toHex(tree);
    const key = `${hex}\0${fold.key(state)}`;
    let result = memo.get(key);
    if (result === undefined) {
      // A copy: an id decoded from a tree is a view of the tree's bytes (and those of its pack), which a waiting visit would keep.
      const id = new Uint8Array(tree);
      result = (async () => {
        options.signal?.throwIfAborted();
        // The nodes are not kept while the children are folded: only what the step keeps is.
        const step = fold.step(await repo.loadTreeListing(id, `tree ${hex} (${where})`), state);
        treesLoaded += 1;
        const prefix = where.endsWith('/') ? where : `${where}/`;
        // Depth-first, one tree at a time: trees come from whole cached packs, and a walk that
        // fanned out over every folder at once kept a wide frontier alive (half again the time in GC).
        const results: R[] = [];
        for (const child of step.children) results.push(await visit(child.tree, child.state, `${prefix}${child.name}`));
        return step.finish(results);
      })();
      memo.set(key, result);
    }
    return result;
  };

  return {
    fold: visit,
    get treesLoaded() {
      return treesLoaded;
    },
  };
}
