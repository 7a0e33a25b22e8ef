import { hostname as osHostname, userInfo } from 'node:os';
import { CairnError, fromHex, isCairnError } from '@cairn/core';
import type { EntrySelector, EntryStat, Source } from '@cairn/core';
import { encodeTree } from '@cairn/index';
import type { Snapshot, SnapshotSummary, SnapshotWorkingCopy, TreeNode } from '@cairn/index';
import { createBlobWriter } from '../write/blob-writer.js';
import { compressionSetting } from '../write/compression.js';
import type { CompressionMode } from '../write/compression.js';
import { withLease } from '../locks/lease.js';
import { quotaAfterBackup, quotaBeforeBackup } from './quota-backup.js';
import type { QuotaResult } from '../maintenance/quota.js';
import { findSnapshot, latestOfOrigin, listSnapshots, PROGRAM, recordedXattrs, saveSnapshot } from '../repo/snapshots.js';
import { rootEntry } from './source-dir.js';
import type { SnapshotEntry } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { loadNodeMap, Walker } from './walker.js';
import type { Previous } from './walker.js';

/** Why a backup warned about an entry; `vcs`: a working copy's VCS state a `--vcs changes` backup cannot keep (an hg merge in progress…). */
export type BackupWarningKind = 'unreadable' | 'changed' | 'special' | 'vcs';

/** Something a backup could not store exactly; `unreadable` and `changed` make it partial. */
export interface BackupWarning {
  readonly kind: BackupWarningKind;
  readonly path: string;
  /** A sentence naming `path` and what happened. */
  readonly message: string;
}

/** Progress of a running backup. */
export interface BackupProgress {
  readonly files: number;
  readonly dirs: number;
  readonly bytesRead: number;
  readonly bytesAdded: number;
  readonly path: string;
}

/** Options of backup(). */
export interface BackupOptions {
  readonly source: Source;
  /** What to back up; each becomes an entry of the snapshot's root named by its last component. */
  readonly paths: readonly string[];
  readonly tags?: readonly string[];
  readonly description?: string;
  readonly meta?: Readonly<Record<string, string>>;
  readonly hostname?: string;
  readonly username?: string;
  /** The snapshot's time (default: now). */
  readonly time?: Date;
  /** The parent snapshot (id, prefix or `latest`); default: the latest of the same paths and host. */
  readonly parent?: string;
  /** Read every file, even those whose size, mtime, ctime and inode are the parent's. */
  readonly force?: boolean;
  /** How new data is compressed (default: the repository's setting, normally `auto`). */
  readonly compression?: CompressionMode;
  /** Threads compressing data; 0 compresses in the calling thread. Default: the CPUs. */
  readonly threads?: number;
  /** Bytes read from a file at a time. */
  readonly readBufferSize?: number;
  /**
   * Source paths (absolute, as `source.resolve` gives them) left out with everything below them: the
   * repository's own folder, say. A folder is left out wherever the walk meets it (same device and
   * inode), also through a symlinked parent or a bind mount; paths that do not exist are ignored.
   */
  readonly skip?: readonly string[];
  /** Decides entry by entry what is stored, skipped or recorded by reference (policies, the VCS bridge: createProjectSelector). */
  readonly selector?: EntrySelector;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackupProgress) => void;
  readonly onWarning?: (warning: BackupWarning) => void;
}

/** What backup() made. */
export interface BackupResult {
  readonly id: string;
  readonly snapshot: Snapshot;
  readonly warnings: readonly BackupWarning[];
  /** True when some file could not be read, or changed while it was read (see `warnings`). */
  readonly partial: boolean;
  /** With a size limit: what keeping the repository under it took (snapshots forgotten, bytes freed). */
  readonly quota?: QuotaResult;
}

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
  await repo.backend.removeStaleTemporaries?.(); // what killed writers left (docs/FORMAT.md, "Layout")
  // The quota prunes outside the lease: a prune deletes nothing while a lease is live.
  const before = await quotaBeforeBackup(repo, options);
  const result = await withLease(repo, { purpose: 'backup', ...(options.signal === undefined ? {} : { signal: options.signal }) }, () => runBackup(repo, options));
  const after = await quotaAfterBackup(repo, result.id);
  if (before === null || after === null) return result;
  return { ...result, quota: { ...after, sizeBefore: before.sizeBefore, forgotten: [...before.forgotten, ...after.forgotten], freed: before.freed + after.freed } };
}

async function runBackup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const roots = await resolveBackupPaths(options.source, options.paths);
  const hostname = options.hostname ?? osHostname();
  const paths = roots.map((root) => root.path);
  const parent = await pickParent(repo, options.parent, { paths, hostname });
  // A snapshot of "/" alone has the tree of "/" as its root: its parent's root is the previous "/".
  const wholeRoot = roots.length === 1 && roots[0]?.name === '';
  const parentTree = parent?.snapshot.tree;
  const parentRoot = parentTree === undefined || wholeRoot ? new Map<string, TreeNode>() : await loadNodeMap(repo, parentTree);

  const writer = createBlobWriter(repo, {
    ...(options.compression === undefined ? {} : { compression: compressionSetting(options.compression) }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  const walker = new Walker(repo, options, writer, await skippedFolders(options.source, options.skip ?? []), parent !== null && recordedXattrs(parent.snapshot));
  const inSnapshot = (path: string): string => snapshotPathOf(roots, path);
  const parentCopies = new Map((parent?.snapshot.vcs ?? []).map((record) => [record.path, record]));
  options.selector?.begin?.((root) => {
    const record = parentCopies.get(inSnapshot(root));
    return record?.extras != null && record.extrasKey !== undefined && writer.has(record.extras) ? { extras: record.extras, extrasKey: record.extrasKey } : undefined;
  });
  let tree: Uint8Array;
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
          extras = (await walker.saveEntry(rootEntry(options.source, copy.extras), copy.extras, 'extras', stat, undefined))?.subtree ?? null;
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
    await options.selector?.close();
  }

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
function snapshotPathOf(roots: readonly { path: string; name: string }[], path: string): string {
  for (const root of roots) {
    if (root.name === '') return path;
    if (path === root.path) return `/${root.name}`;
    if (path.startsWith(`${root.path}/`)) return `/${root.name}${path.slice(root.path.length)}`;
  }
  return path;
}

async function pickParent(
  repo: Repository,
  ref: string | undefined,
  origin: { paths: string[]; hostname: string },
): Promise<SnapshotEntry | null> {
  if (ref !== undefined) return findSnapshot(repo, ref);
  return latestOfOrigin((await listSnapshots(repo)).snapshots, origin);
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

