import type { Source, Target } from '@cairn/core';
import type { Snapshot } from '@cairn/index';

/** How many protect snapshots of each path retention keeps by default (ProtectorOptions.keep). */
export const DEFAULT_PROTECT_KEEP = 10;

/** Options of createProtector: where files are read and written, and the defaults of its calls. */
export interface ProtectorOptions {
  /** Reads the files to protect (@cairn/transport's createLocalSource()). */
  readonly source: Source;
  /** Writes into a folder, for rollback (@cairn/transport's createLocalTarget). */
  readonly target: (folder: string) => Target;
  /** The calling tool, recorded in each snapshot's meta (default: the name of the running script). */
  readonly tool?: string;
  /** Protect snapshots kept per path (default DEFAULT_PROTECT_KEEP); older ones are forgotten after each protect. */
  readonly keep?: number;
  /** The host name recorded (default: this machine's). */
  readonly hostname?: string;
  /** Threads compressing new data (default 0: in the calling thread, which suits a file or a few). */
  readonly threads?: number;
}

/** Options of one protect call. */
export interface ProtectOptions {
  /** Why the files are protected ("rename fooBar to foo"): the snapshot's meta `protect.reason`. */
  readonly reason: string;
  /** The calling tool (default: the Protector's). */
  readonly tool?: string;
  /** Protect snapshots kept per path (default: the Protector's). */
  readonly keep?: number;
  /** The snapshot's time (default: now). */
  readonly time?: Date;
  readonly signal?: AbortSignal;
}

/** What a rollback did. */
export interface RollbackResult {
  /** The snapshot the paths were put back from (null: every path was absent when protected). */
  readonly snapshotId: string | null;
  /** Files, folders and symlinks written back. */
  readonly restored: number;
  /** Absolute paths of what the change had created, removed (folders after what they held). */
  readonly removed: readonly string[];
}

/** Where a protect call's change stands. */
export type ProtectState = 'open' | 'committed' | 'rolled-back';

/** A protected change: roll it back, or keep it. */
export interface ProtectHandle {
  /** The protect snapshot (null when none of the paths existed: there was nothing to store). */
  readonly snapshotId: string | null;
  readonly snapshot: Snapshot | null;
  /** The protected paths, absolute, as given. */
  readonly paths: readonly string[];
  /** Those of them that did not exist: a rollback removes what is there then. */
  readonly absent: readonly string[];
  /** Protect snapshots this call's retention forgot. */
  readonly forgotten: readonly string[];
  readonly state: ProtectState;
  /**
   * Puts the paths back as they were when protected: what the change created under them is
   * removed, what it changed or deleted is restored. Once; ERR_USAGE after commit.
   */
  rollback(): Promise<RollbackResult>;
  /** Keeps the change: the handle is done (the snapshot stays, a version of the files, until retention). */
  commit(): Promise<void>;
}
