import { userInfo } from 'node:os';
import { fromHex } from '@cairn/core';
import type { Snapshot, SnapshotSummary } from '@cairn/index';
import { createBlobWriter } from '../write/blob-writer.js';
import { compressionSetting } from '../write/compression.js';
import { withLease } from '../locks/lease.js';
import { quotaAfterBackup, quotaBeforeBackup } from './quota-backup.js';
import { PROGRAM, saveSnapshot } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { walkBackup } from './backup-walk.js';
import type { BackupOptions, BackupResult } from './backup-types.js';

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
  const walk = await walkBackup(repo, options, () => createBlobWriter(repo, {
    ...(options.compression === undefined ? {} : { compression: compressionSetting(options.compression) }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  }));
  const { walker, parent, vcs, inSnapshot } = walk;
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
    tree: walk.tree,
    paths: walk.paths,
    hostname: walk.hostname,
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

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
