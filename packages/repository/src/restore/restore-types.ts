import type { NodeType, Target, WorkingCopyRebuilder } from '@cairn/core';

/** What a restore does with an entry that is already in the target. */
export type OverwritePolicy = 'always' | 'never' | 'if-changed';

/** One thing a restore does (or, with dryRun, would do). */
export interface RestoreAction {
  /** `checkout`: a file recorded by reference, which the rebuilt working copy's checkout wrote. */
  readonly action: 'create' | 'overwrite' | 'skip' | 'link' | 'checkout';
  readonly path: string;
  readonly type: NodeType;
  readonly size: number;
}

/** An entry a restore could not restore, and why. */
export interface RestoreProblem {
  readonly path: string;
  /** A sentence naming `path` and what went wrong. */
  readonly message: string;
}

/** Progress of a restore's writing: files and bytes written of those the plan holds, and the file at hand. */
export interface RestoreProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly path: string;
}

/** Options of restore(). */
export interface RestoreOptions {
  readonly target: Target;
  /** Snapshot paths or globs to restore (with everything below them); all when empty. */
  readonly include?: readonly string[];
  /** Default 'always'. 'if-changed' keeps a file of the same size and mtime. */
  readonly overwrite?: OverwritePolicy;
  readonly dryRun?: boolean;
  /**
   * The local folder `target` writes into. With it and `workingCopies`, working copies backed up
   * with `--vcs changes` are rebuilt: cloned from their remote at the recorded commit (extras
   * applied), then the stored files laid on top; without them their files recorded by reference
   * are problems.
   */
  readonly localRoot?: string;
  /** What rebuilds those working copies (the VCS bridge's createWorkingCopyRebuilder, which also rewrites moved remotes). */
  readonly workingCopies?: WorkingCopyRebuilder;
  readonly signal?: AbortSignal;
  readonly onAction?: (action: RestoreAction) => void;
  readonly onProblem?: (problem: RestoreProblem) => void;
  /**
   * Progress of the writing: once the plan is made (nothing done yet), then at most every
   * `progressIntervalMs` while files are written, and once when all are. Not called in a dry run.
   */
  readonly onProgress?: (progress: RestoreProgress) => void;
  /** The least time between two onProgress calls (default 100 ms). */
  readonly progressIntervalMs?: number;
}

/** What restore() did; with dryRun, what it would do (the same counts a restore of the same target gives). */
export interface RestoreResult {
  readonly snapshotId: string;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  skipped: number;
  /** Files recorded by reference that a rebuilt working copy's checkout wrote. */
  checkedOut: number;
  bytesWritten: number;
  readonly problems: RestoreProblem[];
  /** Entries that cannot be restored (fifos, sockets, devices). */
  readonly notRestored: string[];
}
