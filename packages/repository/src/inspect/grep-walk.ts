import { CairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { snapshotPath } from '../repo/names.js';
import type { SnapshotEntry } from '../repo/snapshots.js';
import type { TreeLoader } from '../repo/repository.js';
import { contentIdOf } from './file-versions.js';

/**
 * A folder as reached at one path: a (tree id, path) pair is loaded and walked once however many
 * snapshots hold it; the snapshots that hold it are those of its parents (or, at the top, its own).
 */
export interface Occurrence {
  readonly parents: Occurrence[];
  readonly roots: number[];
  holders?: number[];
}

/** One file path with one content, and where it was found. */
export interface FileRecord {
  readonly path: string;
  readonly node: TreeNode;
  /** The content's id (contentIdOf: the hash of its blob ids, as `versions` names it). */
  readonly key: string;
  readonly occurrences: Occurrence[];
  /** holdersOf's answer, once asked. */
  holders?: number[];
}

/** Every (path, content) pair of some snapshots, each unique folder walked once. */
export interface WalkResult {
  readonly records: FileRecord[];
  /** Unique (tree, path) folders loaded. */
  readonly treeLoads: number;
}

/** Walks the snapshots' trees, collecting the regular files with content (those `select` takes). */
export async function walkSnapshots(
  repo: TreeLoader,
  snapshots: readonly SnapshotEntry[],
  select: ((path: string) => boolean) | null,
  signal?: AbortSignal,
): Promise<WalkResult> {
  const occurrences = new Map<string, Occurrence>();
  const records = new Map<string, FileRecord>();
  let treeLoads = 0;

  const walk = async (tree: Id, parts: string[], occurrence: Occurrence, selected: boolean): Promise<void> => {
    if (signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'grep stopped while reading snapshots');
    treeLoads += 1;
    for (const node of await repo.loadTree(tree, `tree of ${snapshotPath(parts) || '/'}`)) {
      const childParts = [...parts, node.name];
      const path = snapshotPath(childParts);
      const taken = selected || select === null || select(path);
      if (node.subtree !== undefined) {
        const key = `${toHex(node.subtree)}\0${path}`;
        const seen = occurrences.get(key);
        if (seen !== undefined) {
          seen.parents.push(occurrence);
          continue;
        }
        const child: Occurrence = { parents: [occurrence], roots: [] };
        occurrences.set(key, child);
        await walk(node.subtree, childParts, child, taken);
      } else if (node.type === 'file' && taken && node.content !== undefined && node.content.length > 0) {
        const key = contentIdOf(node);
        const recordKey = `${path}\0${key}`;
        const record = records.get(recordKey);
        if (record === undefined) records.set(recordKey, { path, node, key, occurrences: [occurrence] });
        else record.occurrences.push(occurrence);
      }
    }
  };

  for (const [i, { snapshot }] of snapshots.entries()) {
    const key = `${toHex(snapshot.tree)}\0`;
    const seen = occurrences.get(key);
    if (seen !== undefined) {
      seen.roots.push(i);
      continue;
    }
    const root: Occurrence = { parents: [], roots: [i] };
    occurrences.set(key, root);
    await walk(snapshot.tree, [], root, false);
  }
  return { records: [...records.values()], treeLoads };
}

/** The indices (into the walked snapshots, ascending) of the snapshots holding a record. */
export function holdersOf(record: FileRecord): number[] {
  if (record.holders === undefined) {
    const all = new Set<number>();
    for (const occurrence of record.occurrences) for (const i of occurrenceHolders(occurrence)) all.add(i);
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
