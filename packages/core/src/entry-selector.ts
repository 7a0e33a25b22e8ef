import type { Id } from './hex.js';
import type { FileRef, NodeType } from './node.js';

/** How a backup records a working copy: `full` stores every file (the VCS folder too); `changes` only what its remote lacks. */
export type WorkingCopyMode = 'full' | 'changes';

/** What a backup does with one entry. */
export type EntryDecision =
  | { readonly action: 'store'; readonly class?: string }
  /** Left out with everything below it, and listed in the snapshot as skipped. */
  | { readonly action: 'skip'; readonly class: string; readonly reason: string }
  /** Files only: recorded by reference to the content its VCS holds, not read. */
  | { readonly action: 'reference'; readonly ref: FileRef; readonly class?: string };

/** A working copy a selector found, as the snapshot records it. */
export interface SelectedWorkingCopy {
  /** Its root, as a source path; the backup turns it into a snapshot path. */
  readonly root: string;
  readonly mode: WorkingCopyMode;
  /** The VCS state as JSON text. */
  readonly state: string;
  /** A local folder of what the remote cannot give back (bundle, stash, config, hooks), to store; null in `full` mode or when `reuse` is set. */
  readonly extras: string | null;
  /** The parent snapshot's extras tree, to keep as it is: nothing they are made from changed. */
  readonly reuse?: Id;
  /** The fingerprint of what the extras are made from, to record. */
  readonly extrasKey?: string;
  /** What the backup cannot keep of the working copy, as sentences naming it (become `vcs` backup warnings). */
  readonly warnings?: readonly string[];
}

/** What the parent snapshot recorded of a working copy (its extras still in the repository). */
export interface PreviousWorkingCopy {
  readonly extras: Id;
  readonly extrasKey: string;
}

/**
 * Decides, entry by entry, what a backup stores: the port through which policies (skip what is
 * generated) and the VCS bridge (record clean pushed files by reference) act on a walk.
 */
export interface EntrySelector {
  /** Called once before the walk: how the parent snapshot recorded the working copy at a source path, if it did. */
  begin?(previous: (root: string) => PreviousWorkingCopy | undefined): void;
  /** Called with a folder's entry names before any of them is decided: where working copies are found; a promise only when it has to wait. */
  enterDir(path: string, names: readonly string[]): void | Promise<void>;
  /**
   * The decision for the entry at `path` (never called for the backup's own paths); a selector
   * that knows it without waiting (a folder's presets already read) returns it as it is.
   */
  decide(path: string, type: NodeType): EntryDecision | Promise<EntryDecision>;
  /**
   * Optional, asked after enterDir(path): when every entry of the folder at `path` is decided by
   * its name and type alone, the function that decides them, giving what decide() would; the walk
   * then calls it instead of decide() for the folder's entries. Undefined when decide() must be
   * asked (a rule, a working copy or another backup path reaches into the folder, or the selector
   * does not know yet).
   */
  byName?(path: string): ((name: string, type: NodeType) => EntryDecision) | undefined;
  /** After the walk: every working copy found, with its extras written to local folders. */
  finish(signal?: AbortSignal): Promise<SelectedWorkingCopy[]>;
  /** Removes what finish() wrote; called whether the backup succeeded or not. */
  close(): Promise<void>;
}
