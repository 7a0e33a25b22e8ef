import { toHex } from '@cairn/core';
import type { SkippedEntry, SnapshotSummary, SnapshotWorkingCopy } from '@cairn/index';
import { createDryBlobWriter } from '../write/dry-blob-writer.js';
import type { Repository } from '../repo/repository.js';
import { walkBackup } from './archiver.js';
import type { BackupOptions, BackupWarning } from './backup-types.js';

/** What a backup would do (dryRunBackup). */
export interface DryRunResult {
  readonly dryRun: true;
  /** The paths the snapshot would record. */
  readonly paths: readonly string[];
  readonly hostname: string;
  /** The id of the parent snapshot the walk compared with, or null. */
  readonly parent: string | null;
  /** The id of the root tree the snapshot would have (a real backup of an unchanged source makes the same). */
  readonly tree: string;
  /**
   * The counts a real backup would record. `bytesRead`: what it read; `bytesAdded`: the plain
   * (uncompressed) bytes of the blobs the repository does not hold yet; `packsAdded` is 0.
   */
  readonly summary: SnapshotSummary;
  /** What the selector would leave out (snapshot paths; folders end with '/'). */
  readonly skipped: readonly SkippedEntry[];
  readonly classes: Readonly<Record<string, { files: number; bytes: number }>>;
  readonly vcs: readonly SnapshotWorkingCopy[];
  readonly warnings: readonly BackupWarning[];
  /** True when a real backup would be partial (some file could not be read). */
  readonly partial: boolean;
}

/**
 * Walks the source exactly as backup() would (same parent, selector and unchanged-file test),
 * reading and chunking every file the parent does not prove unchanged, and writes nothing: no
 * pack, index, snapshot, lock or lease. It only reads the repository, so it needs no write
 * access; `options.onEntry` tells each entry the snapshot would hold. Options a snapshot alone
 * uses (tags, time, compression…) are ignored, and so is a size limit (a real backup may first
 * forget snapshots to stay under it).
 */
export async function dryRunBackup(repo: Repository, options: BackupOptions): Promise<DryRunResult> {
  const started = Date.now();
  const { walker, parent, vcs, inSnapshot, tree, paths, hostname } = await walkBackup(repo, options, () => createDryBlobWriter(repo));
  const ws = walker.writer.stats;
  return {
    dryRun: true,
    paths,
    hostname,
    parent: parent?.id ?? null,
    tree: toHex(tree),
    summary: {
      ...walker.counts,
      bytesAdded: ws.bytesAdded,
      dataBlobsAdded: ws.dataBlobsAdded,
      treeBlobsAdded: ws.treeBlobsAdded,
      packsAdded: 0,
      warnings: walker.warnings.length,
      durationMs: Date.now() - started,
    },
    skipped: walker.skipped.map((entry) => ({ ...entry, path: inSnapshot(entry.path) })),
    classes: Object.fromEntries(walker.classes),
    vcs: vcs ?? [],
    warnings: walker.warnings,
    partial: walker.warnings.some((w) => w.kind === 'unreadable' || w.kind === 'changed'),
  };
}
