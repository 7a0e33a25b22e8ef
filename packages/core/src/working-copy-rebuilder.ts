import type { Target } from './source.js';

/** What rebuilding a working copy could not re-create, as sentences naming it. */
export interface RebuildReport {
  readonly warnings: readonly string[];
}

/** A working copy's state as a snapshot recorded it, read by a WorkingCopyRebuilder: what rebuilds it. */
export interface RecordedWorkingCopy {
  /** Its version control system ("git", "hg", "svn"), for messages. */
  readonly vcs: string;
  /**
   * First step: rebuilds the working copy in the local folder `dir` from its remote at the recorded
   * state (or reuses a clean one there), applying the extras in the local folder `extras` when
   * given. A remote that cannot be reached is a CairnError naming the working copy and the URL,
   * and `dir` is left as a plain folder for the stored files.
   */
  rebuild(dir: string, options?: { readonly extras?: string; readonly signal?: AbortSignal }): Promise<RebuildReport>;
  /** Last step, after the restore wrote the stored files into `dir`: puts recorded additions and removals back. */
  finish(dir: string, options?: { readonly signal?: AbortSignal }): Promise<void>;
}

/** A new, empty local folder and a Target writing into it. */
export interface ExtrasFolder {
  readonly dir: string;
  readonly target: Target;
  /** Removes the folder with everything in it. */
  remove(): Promise<void>;
}

/**
 * Rebuilds the working copies a snapshot recorded in `changes` mode (their clean files by
 * reference, their VCS data as an extras tree): the port through which a restore reaches the
 * VCS bridge.
 */
export interface WorkingCopyRebuilder {
  /** Reads a recorded state (the snapshot's JSON text); null when it is not one this rebuilder can read. */
  read(state: string): RecordedWorkingCopy | null;
  /** A new temporary folder for a working copy's extras tree, which the restore writes through its target. */
  extrasFolder(): Promise<ExtrasFolder>;
}
