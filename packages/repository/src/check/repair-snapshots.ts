import { isCairnError, toHex, shortId } from '@cairn/core';
import type { Id } from '@cairn/core';
import { contentIds } from '../repo/content-ids.js';
import { encodeTree } from '@cairn/index';
import type { Snapshot, TreeNode } from '@cairn/index';
import { encodeBlob } from '@cairn/pack';
import type { LockTimings } from '../locks/lock-files.js';
import { acquireExclusiveLock } from '../locks/locks.js';
import { listPacks } from '../repo/pack-headers.js';
import { createPackWriter } from '../write/pack-writer.js';
import type { PackWriter } from '../write/pack-writer.js';
import { matchIdPrefix } from '../repo/prefix.js';
import { listSnapshots, saveSnapshot } from '../repo/snapshots.js';
import type { SnapshotEntry } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';

/** Options of repairSnapshots(). */
export interface RepairSnapshotsOptions {
  /** Snapshot ids or unique prefixes to repair (default: every snapshot). */
  readonly snapshots?: readonly string[];
  /** Remove each original once its repaired snapshot is written. */
  readonly forget?: boolean;
  /** Find the damage, write nothing. */
  readonly dryRun?: boolean;
  readonly lockTimings?: Partial<LockTimings>;
}

/** One damaged snapshot and what its repair did. */
export interface RepairedSnapshot {
  readonly original: string;
  /** The new snapshot's id (null with dryRun). */
  readonly repaired: string | null;
  /** Files that lost data: their missing blobs were dropped (the size shrinks to what is left). */
  readonly damagedFiles: string[];
  /** Folders whose listing could not be read: now empty folders. */
  readonly emptiedFolders: string[];
  readonly forgotten: boolean;
}

/** What repairSnapshots() did. */
export interface RepairSnapshotsResult {
  readonly checked: number;
  readonly repaired: RepairedSnapshot[];
  /** Snapshots whose root tree cannot be read: nothing of them can be kept. */
  readonly unrepairable: { readonly id: string; readonly message: string }[];
}

/** A rewritten tree: its (possibly new) id and what was lost below it, relative to it. */
interface Rewritten {
  readonly id: Id;
  readonly changed: boolean;
  readonly damaged: string[];
  readonly emptied: string[];
}

const MAX_LISTED_PATHS = 200;

/**
 * Repairs snapshots that reference missing data (restic's approach): a file whose content
 * lists blobs that are not in the index, or whose pack is gone, keeps the blobs that remain
 * (its size shrinks to match); a folder whose tree cannot be read becomes an empty folder.
 * Each damaged snapshot gets a new snapshot tagged "repaired", whose description says what
 * was lost and whose meta lists it (repaired-from, repaired-damaged). Originals are kept
 * until forgotten (`forget`). New trees are written to new packs and indexed first.
 * Run `repairIndex` first when index files are damaged.
 */
export async function repairSnapshots(repo: Repository, options: RepairSnapshotsOptions = {}): Promise<RepairSnapshotsResult> {
  const dryRun = options.dryRun === true;
  const lock = dryRun ? null : await acquireExclusiveLock(repo.backend, 'repair snapshots', options.lockTimings === undefined ? {} : { timings: options.lockTimings });
  try {
    await repo.reloadIndex();
    const { snapshots } = await listSnapshots(repo);
    const chosen = options.snapshots === undefined || options.snapshots.length === 0
      ? snapshots
      : [...new Map(options.snapshots.map((ref) => {
        const entry = matchIdPrefix(snapshots, (s) => s.id, ref, 'snapshot', 'list them with `cairn snapshots`');
        return [entry.id, entry] as const;
      })).values()];
    const present = new Set((await listPacks(repo.backend)).keys());
    const rewriter = createRewriter(repo, present, dryRun ? null : createPackWriter(repo.backend, { packSize: repo.config.packSize }));
    const found: { entry: SnapshotEntry; result: Rewritten; vcs: Snapshot['vcs']; droppedExtras: string[] }[] = [];
    const unrepairable: { id: string; message: string }[] = [];
    for (const entry of chosen) {
      let result: Rewritten;
      try {
        result = await rewriter.rewrite(entry.snapshot.tree);
      } catch (error) {
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
        unrepairable.push({ id: entry.id, message: `snapshot ${shortId(entry.id)}: its root folder cannot be read (${error.message})` });
        continue;
      }
      // The other roots (reachability.ts): a working copy's saved VCS data is useful only whole, so damaged data is dropped.
      const droppedExtras: string[] = [];
      const vcs = entry.snapshot.vcs === undefined ? undefined : await Promise.all(entry.snapshot.vcs.map(async (copy) => {
        if (copy.extras === null) return copy;
        const extras = await rewriter.rewrite(copy.extras).catch((error: unknown) => {
          if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
          return null;
        });
        if (extras !== null && !extras.changed) return copy;
        droppedExtras.push(copy.path);
        const { extrasKey: _dropped, ...rest } = copy;
        return { ...rest, extras: null };
      }));
      if (result.changed || droppedExtras.length > 0) found.push({ entry, result, vcs, droppedExtras });
    }
    await rewriter.finish();
    const repaired: RepairedSnapshot[] = [];
    for (const { entry, result, vcs, droppedExtras } of found) {
      const id = dryRun ? null : await saveSnapshot(repo, repairedSnapshot(entry, result, vcs, droppedExtras));
      const forget = !dryRun && options.forget === true && id !== entry.id;
      if (forget) await repo.backend.remove('snapshot', entry.id);
      repaired.push({ original: entry.id, repaired: id, damagedFiles: result.damaged, emptiedFolders: result.emptied, forgotten: forget });
    }
    if (!dryRun) await repo.reloadIndex();
    return { checked: chosen.length, repaired, unrepairable };
  } finally {
    await lock?.release();
  }
}

function createRewriter(repo: Repository, present: ReadonlySet<string>, packs: PackWriter | null) {
  const memo = new Map<string, Promise<Rewritten>>();
  const added = new Set<string>();
  const codec = repo.config.compression.codec === 'zstd' ? repo.zstd : null;
  const available = (id: Id): boolean => {
    const location = repo.index.lookup(id);
    return location !== undefined && present.has(toHex(location.packId));
  };
  const saveTree = async (nodes: TreeNode[]): Promise<Id> => {
    const plain = encodeTree(nodes);
    const id = contentIds(repo.backend).id(plain);
    const hex = toHex(id);
    if (!available(id) && !added.has(hex)) {
      added.add(hex);
      await packs?.add(id, 'tree', encodeBlob(plain, codec, repo.config.compression.level));
    }
    return id;
  };
  const rewriteTree = async (treeId: Id): Promise<Rewritten> => {
    const nodes = await repo.loadTree(treeId, `tree ${toHex(treeId)}`);
    const damaged: string[] = [];
    const emptied: string[] = [];
    let changed = false;
    const out: TreeNode[] = [];
    for (const node of nodes) {
      if (node.type === 'file' && node.content !== undefined) {
        const kept = node.content.filter(available);
        if (kept.length === node.content.length) {
          out.push(node);
          continue;
        }
        changed = true;
        damaged.push(node.name);
        const size = kept.reduce((sum, id) => sum + (repo.index.lookup(id)?.rawLength ?? 0), 0);
        out.push({ ...node, content: kept, size });
      } else if (node.subtree !== undefined) {
        let sub: Rewritten;
        try {
          sub = await rewrite(node.subtree);
        } catch (error) {
          if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
          sub = { id: await saveTree([]), changed: true, damaged: [], emptied: [''] };
        }
        if (!sub.changed) {
          out.push(node);
          continue;
        }
        changed = true;
        damaged.push(...sub.damaged.map((path) => `${node.name}/${path}`));
        emptied.push(...sub.emptied.map((path) => (path === '' ? node.name : `${node.name}/${path}`)));
        out.push({ ...node, subtree: sub.id });
      } else {
        out.push(node);
      }
    }
    return { id: changed ? await saveTree(out) : treeId, changed, damaged, emptied };
  };
  const rewrite = (treeId: Id): Promise<Rewritten> => {
    const hex = toHex(treeId);
    let result = memo.get(hex);
    if (result === undefined) memo.set(hex, (result = rewriteTree(treeId)));
    return result;
  };
  return { rewrite, finish: async () => packs?.finish() };
}

function repairedSnapshot(entry: SnapshotEntry, result: Rewritten, vcs: Snapshot['vcs'], droppedExtras: readonly string[]): Snapshot {
  const s = entry.snapshot;
  const dropped = droppedExtras.length === 0 ? '' : `, the saved VCS data of ${droppedExtras.length} working cop${droppedExtras.length === 1 ? 'y' : 'ies'} was damaged and dropped`;
  const lost = `repaired by cairn: ${result.damaged.length} file(s) lost data, ${result.emptied.length} folder(s) could not be read${dropped}`;
  const paths = [...result.damaged, ...result.emptied.map((path) => `${path}/`), ...droppedExtras.map((path) => `${path} (saved VCS data)`)];
  const listed = paths.length > MAX_LISTED_PATHS ? [...paths.slice(0, MAX_LISTED_PATHS), `… and ${paths.length - MAX_LISTED_PATHS} more`] : paths;
  return {
    ...s,
    tree: result.id,
    ...(vcs === undefined ? {} : { vcs }),
    tags: s.tags.includes('repaired') ? [...s.tags] : [...s.tags, 'repaired'],
    description: s.description === '' ? lost : `${s.description}\n${lost}`,
    meta: { ...s.meta, 'repaired-from': entry.id, 'repaired-damaged': listed.join('\n') },
  };
}
