import { hostname as osHostname, userInfo } from 'node:os';
import { CairnError, fromHex, isCairnError } from '@cairn/core';
import type { EntryStat, Id, Source } from '@cairn/core';
import { encodeTree } from '@cairn/index';
import type { Snapshot, SnapshotSummary, SnapshotWorkingCopy, TreeNode } from '@cairn/index';
import { createBlobWriter } from '../write/blob-writer.js';
import type { BlobWriter } from '../write/blob-writer.js';
import { compressionSetting } from '../write/compression.js';
import { withLease } from '../locks/lease.js';
import { quotaAfterBackup, quotaBeforeBackup } from './quota-backup.js';
import { findParent, PROGRAM, recordedXattrs, saveSnapshot } from '../repo/snapshots.js';
import type { SnapshotEntry } from '../repo/snapshots.js';
import { rootEntry } from './source-dir.js';
import type { Repository } from '../repo/repository.js';
import { loadNodeMap, Walker } from './walker.js';
import { createExclusions } from './exclusions.js';
import type { BackupOptions, BackupResult, BackupTotal, BackupWarning } from './backup-types.js';
import { createTreeSizer } from '../tree/tree-size.js';
import type { Previous } from './walker.js';

/** Checks that every path exists; returns their absolute forms and root names (before anything is written). */
export async function resolveBackupPaths(source: Source, paths: readonly string[]): Promise<{ path: string; name: string; stat: EntryStat }[]> {
  if (paths.length === 0) throw new TypeError('backup needs at least one path');
  const resolved = [];
  const byName = new Map<string, string>();
  for (const given of paths) {
    const path = source.resolve(given);
    let stat: EntryStat;
    try {
      stat = await source.lstat(path);
    } catch (error) {
      if (isCairnError(error, 'ERR_NOT_FOUND')) {
        throw new CairnError('ERR_NOT_FOUND', `cannot back up ${given}: no such file or folder (${path})`, { cause: error });
      }
      throw error;
    }
    const name = path.split('/').filter(Boolean).pop() ?? '';
    const clash = byName.get(name);
    if (clash !== undefined) {
      throw new CairnError('ERR_EXISTS', `${clash} and ${path} would both be "${name || '/'}" in the snapshot`, {
        hint: 'back them up in separate snapshots, or back up their common parent',
      });
    }
    byName.set(name, path);
    resolved.push({ path, name, stat });
  }
  if (byName.has('') && resolved.length > 1) {
    throw new CairnError('ERR_EXISTS', '"/" holds every other path: back it up on its own');
  }
  return resolved;
}

/**
 * Backs up `options.paths` into the repository and writes the snapshot last. It holds a lease
 * (locks/) for the whole run, so a concurrent prune never deletes what it uses.
 */
export async function backup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  if (options.exclude !== undefined) createExclusions(options.exclude); // a bad pattern or size fails before anything is written
  if (options.tidy !== false) await repo.backend.removeStaleTemporaries?.(); // what killed writers left (docs/FORMAT.md, "Layout")
  // The quota prunes outside the lease: a prune deletes nothing while a lease is live.
  const before = await quotaBeforeBackup(repo, options);
  // The snapshot is written once runBackup returns: a lease file the storage no longer lets us
  // remove is a warning then, not a failure (exit 1 would say nothing was stored).
  const leftBehind: BackupWarning[] = [];
  const onLeftBehind = (message: string): void => {
    const warning: BackupWarning = { kind: 'lock', path: repo.backend.location, message };
    leftBehind.push(warning);
    options.onWarning?.(warning);
  };
  const leased = await withLease(repo, { purpose: 'backup', onLeftBehind, ...(options.signal === undefined ? {} : { signal: options.signal }) }, () => runBackup(repo, options));
  const result = leftBehind.length === 0 ? leased : { ...leased, warnings: [...leased.warnings, ...leftBehind] };
  const after = await quotaAfterBackup(repo, result.id);
  if (before === null || after === null) return result;
  return { ...result, quota: { ...after, sizeBefore: before.sizeBefore, forgotten: [...before.forgotten, ...after.forgotten], freed: before.freed + after.freed } };
}

async function runBackup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const { walker, parent, vcs, inSnapshot, tree, paths, hostname } = await walkBackup(repo, options, () => createBlobWriter(repo, {
    ...(options.compression === undefined ? {} : { compression: compressionSetting(options.compression) }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.deltas === undefined ? {} : { deltas: options.deltas }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
  }));

  const ws = walker.writer.stats;
  const summary: SnapshotSummary = {
    ...walker.counts,
    bytesAdded: ws.bytesAdded,
    dataBlobsAdded: ws.dataBlobsAdded,
    treeBlobsAdded: ws.treeBlobsAdded,
    packsAdded: ws.packsAdded,
    warnings: walker.warnings.length,
    durationMs: Date.now() - started,
  };
  const snapshot: Snapshot = {
    time: BigInt((options.time ?? new Date()).getTime()) * 1_000_000n,
    tree,
    paths,
    hostname,
    username: options.username ?? safeUsername(),
    tags: [...(options.tags ?? [])],
    description: options.description ?? '',
    meta: { ...(options.meta ?? {}) },
    parent: parent === null ? null : fromHex(parent.id),
    program: PROGRAM,
    summary,
    ...(vcs === undefined || vcs.length === 0 ? {} : { vcs }),
    ...(walker.skipped.length === 0 ? {} : { skipped: walker.skipped.map((entry) => ({ ...entry, path: inSnapshot(entry.path) })) }),
    ...(walker.classes.size === 0 ? {} : { classes: Object.fromEntries(walker.classes) }),
  };
  const id = await saveSnapshot(repo, snapshot);
  const partial = walker.warnings.some((w) => w.kind === 'unreadable' || w.kind === 'changed');
  return { id, snapshot, warnings: walker.warnings, partial };
}

/** What the walk of a backup's paths made: everything of the snapshot but its own fields. */
export interface BackupWalk {
  /** The absolute source paths backed up (the snapshot's `paths`). */
  readonly paths: string[];
  readonly hostname: string;
  readonly parent: SnapshotEntry | null;
  /** The snapshot's root tree. */
  readonly tree: Id;
  /** The working copies' records, when a selector was asked. */
  readonly vcs: SnapshotWorkingCopy[] | undefined;
  /** The walk's counts, warnings, skipped entries and classes. */
  readonly walker: Walker;
  /** Where a source path under one of the paths is in the snapshot ("/app/src/a.ts"). */
  readonly inSnapshot: (path: string) => string;
}

/**
 * Walks `options.paths` as a backup does, the same for a real backup and a dry run: the same
 * parent (findParent), the same selector, the same reuse of the parent's unchanged entries. Blobs
 * go to the writer `makeWriter` gives (after the paths are checked); it is finished here, or
 * aborted when the walk fails.
 */
export async function walkBackup(repo: Repository, options: BackupOptions, makeWriter: () => BlobWriter): Promise<BackupWalk> {
  const roots = await resolveBackupPaths(options.source, options.paths);
  const hostname = options.hostname ?? osHostname();
  const paths = roots.map((root) => root.path);
  const parent = options.parentSnapshot !== undefined ? options.parentSnapshot : await findParent(repo, options.parent, { paths, hostname });
  // A snapshot of "/" alone has the tree of "/" as its root: its parent's root is the previous "/".
  const wholeRoot = roots.length === 1 && roots[0]?.name === '';
  const parentTree = parent?.snapshot.tree;
  const parentRoot = parentTree === undefined || wholeRoot ? new Map<string, TreeNode>() : await loadNodeMap(repo, parentTree);
  const inSnapshot = (path: string): string => sourceToSnapshotPath(roots, path);
  const onEntry = options.onEntry;
  const walkOptions: BackupOptions = onEntry === undefined ? options : { ...options, onEntry: (entry) => onEntry({ ...entry, path: inSnapshot(entry.path) }) };

  const skipFolders = await skippedFolders(options.source, options.skip ?? []);
  const writer = makeWriter();
  const walker = new Walker(repo, walkOptions, writer, skipFolders, parent !== null && recordedXattrs(parent.snapshot));
  const measure = parent !== null && options.onProgress !== undefined ? measureParent(repo, parent.snapshot.tree, (total) => (walker.total = total)) : undefined;
  const parentCopies = new Map((parent?.snapshot.vcs ?? []).map((record) => [record.path, record]));
  options.selector?.begin?.((root) => {
    const record = parentCopies.get(inSnapshot(root));
    return record?.extras != null && record.extrasKey !== undefined && writer.has(record.extras) ? { extras: record.extras, extrasKey: record.extrasKey } : undefined;
  });
  let tree: Id;
  let vcs: SnapshotWorkingCopy[] | undefined;
  try {
    const rootNodes: TreeNode[] = [];
    for (const root of roots) {
      const previous: Previous | undefined = wholeRoot ? parentTree && { type: 'dir', subtree: parentTree } : parentRoot.get(root.name);
      const node = await walker.saveEntry(rootEntry(options.source, root.path), root.path, root.name, root.stat, previous);
      if (node !== null) rootNodes.push(node);
    }
    const single = rootNodes[0];
    tree = wholeRoot && single?.subtree !== undefined
      ? single.subtree
      : await writer.save('tree', encodeTree(rootNodes));
    if (options.selector !== undefined) {
      vcs = [];
      for (const copy of await options.selector.finish(options.signal)) {
        let extras = copy.reuse ?? null;
        if (extras === null && copy.extras !== null) {
          const stat = await options.source.lstat(copy.extras);
          extras = (await walker.saveUnfiltered(rootEntry(options.source, copy.extras), copy.extras, 'extras', stat))?.subtree ?? null;
          if (extras === null) throw new CairnError('ERR_IO', `the extras of the working copy at ${copy.root} (${copy.extras}) could not be stored`);
        }
        vcs.push({ path: inSnapshot(copy.root), mode: copy.mode, state: copy.state, extras, ...(copy.extrasKey === undefined ? {} : { extrasKey: copy.extrasKey }) });
        for (const message of copy.warnings ?? []) {
          const warning: BackupWarning = { kind: 'vcs', path: copy.root, message };
          walker.warnings.push(warning);
          options.onWarning?.(warning);
        }
      }
    }
    await writer.finish();
  } catch (error) {
    // What was written stays indexed (a later backup reuses it); no snapshot refers to it yet.
    await writer.abort().catch(() => undefined);
    throw error;
  } finally {
    measure?.stop();
    await options.selector?.close();
  }
  return { paths, hostname, parent, tree, vcs, walker, inSnapshot };
}

/**
 * Measures the parent's tree (files and bytes below it) alongside the backup, for its progress
 * totals; `stop` ends the measure where it is (it reads no more trees). A tree it cannot read
 * leaves the total unknown.
 */
function measureParent(repo: Repository, tree: Id, found: (total: BackupTotal) => void): { stop(): void } {
  let stopped = false;
  const size = createTreeSizer({
    loadTree: (id, what) => (stopped ? Promise.reject(new CairnError('ERR_ABORTED', 'the backup is done')) : repo.loadTree(id, what)),
  });
  size(tree).then((total) => {
    if (!stopped) found(total);
  }, () => undefined);
  return { stop: () => (stopped = true) };
}

/** The lstat of each `skip` path that exists (the walk compares folders with them by identity). */
async function skippedFolders(source: Source, skip: readonly string[]): Promise<EntryStat[]> {
  const found: EntryStat[] = [];
  for (const path of skip) {
    try {
      found.push(await source.lstat(path));
    } catch (error) {
      if (!isCairnError(error, 'ERR_NOT_FOUND')) throw error;
    }
  }
  return found;
}

/** Where a source path under one of the backup's paths is in the snapshot ("/app/src/a.ts"). */
function sourceToSnapshotPath(roots: readonly { path: string; name: string }[], path: string): string {
  for (const root of roots) {
    if (root.name === '') return path;
    if (path === root.path) return `/${root.name}`;
    if (path.startsWith(`${root.path}/`)) return `/${root.name}${path.slice(root.path.length)}`;
  }
  return path;
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

