import type { EntrySelector, NodeType, Source } from '@cairn/core';
import type { Snapshot } from '@cairn/index';
import type { CompressionMode } from '../write/compression.js';
import type { QuotaResult } from '../maintenance/quota.js';
import type { ExcludeOptions } from './exclusions.js';
import type { SnapshotEntry } from '../repo/snapshots.js';

/**
 * Why a backup warned about an entry; `vcs`: a working copy's VCS state a `--vcs changes` backup
 * cannot keep (an hg merge in progress…); `lock`: the snapshot was written but the backup's lease
 * file could not be removed afterwards (its path is the repository's location).
 */
export type BackupWarningKind = 'unreadable' | 'changed' | 'special' | 'vcs' | 'lock';

/** Something a backup could not store exactly; `unreadable` and `changed` make it partial. */
export interface BackupWarning {
  readonly kind: BackupWarningKind;
  readonly path: string;
  /** A sentence naming `path` and what happened. */
  readonly message: string;
}

/** Files and bytes below a snapshot's tree (what the parent holds, the likely size of a backup of the same paths). */
export interface BackupTotal {
  readonly files: number;
  readonly bytes: number;
}

/** Progress of a running backup, reported as each entry is done. */
export interface BackupProgress {
  /** Files done: new, changed or unchanged. */
  readonly files: number;
  readonly dirs: number;
  readonly bytesRead: number;
  readonly bytesAdded: number;
  /** Bytes of the files done, read or found unchanged (the measure of `total.bytes`). */
  readonly bytesDone: number;
  /**
   * The parent snapshot's files and bytes, measured alongside the backup: what it will likely
   * go through. Absent without a parent, and until the measure is done.
   */
  readonly total?: BackupTotal;
  readonly path: string;
}

/** How an entry a backup stores compares with the parent snapshot's entry at the same path (`referenced`: recorded by reference). */
export type BackupEntryStatus = 'new' | 'changed' | 'unchanged' | 'referenced';

/** An entry a backup stores, told once its content is known (a folder after its entries). */
export interface BackupEntry {
  /** Where it is in the snapshot ("/app/src/a.ts"). */
  readonly path: string;
  readonly type: NodeType;
  readonly status: BackupEntryStatus;
  /** A file's size, else 0. */
  readonly size: number;
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
  /**
   * The parent, already found (null: none), instead of asking findParent: for a caller that keeps
   * the snapshot list (protect: the last protect snapshot of the same paths, see latestOfOrigin).
   */
  readonly parentSnapshot?: SnapshotEntry | null;
  /**
   * First remove the temporary files killed writers left (default true; a local repository lists
   * its 262 folders for them): a caller that backs up again and again in one process (protect)
   * asks once.
   */
  readonly tidy?: boolean;
  /** Read every file, even those whose size, mtime, ctime and inode are the parent's. */
  readonly force?: boolean;
  /** How new data is compressed (default: the repository's setting, normally `auto`). */
  readonly compression?: CompressionMode;
  /**
   * False: store every new chunk whole, never as a delta against the parent's (`--no-delta`).
   * Default: deltas when the repository's config allows them (docs/FORMAT.md, "Delta blobs").
   */
  readonly deltas?: boolean;
  /**
   * False: store every small new data blob in a frame of its own, never in a group sharing one
   * (`--no-group`). Default: groups when the repository's config allows them (docs/FORMAT.md, "Grouped small blobs").
   */
  readonly groups?: boolean;
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
  /**
   * What is left out below the paths before the selector is asked (restic's exclude flags): patterns,
   * size, marker files, other filesystems. Listed in the snapshot's `skipped` with the class `excluded`.
   */
  readonly exclude?: ExcludeOptions;
  /** Decides entry by entry what is stored, skipped or recorded by reference (policies, the VCS bridge: createProjectSelector). */
  readonly selector?: EntrySelector;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackupProgress) => void;
  readonly onWarning?: (warning: BackupWarning) => void;
  /** Told of every entry stored (a dry run lists them). */
  readonly onEntry?: (entry: BackupEntry) => void;
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
