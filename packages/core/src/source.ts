import type { CairnError } from './errors.js';
import type { EntryMetadata, EntryStat, NodeType, Xattr } from './node.js';

/** An open regular file of a Source. */
export interface SourceFile {
  /**
   * True for a stream (standard input) whose size is known only once it is read: a backup reads it
   * in full buffers, records the size it read and never calls it changed. Default false.
   */
  readonly stream?: boolean;
  /** Metadata of the open file (an fstat). */
  stat(): Promise<EntryStat>;
  /** The file's bytes from the start, in pieces of at most `bufferSize` bytes. */
  chunks(bufferSize: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /**
   * Reads up to `buffer.length` bytes at `position` into the caller's buffer; returns how many
   * (0 at the end). Optional: it lets a backup reuse one buffer instead of allocating per piece.
   */
  readInto?(buffer: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

/** An entry of a folder as SourceDir.entries lists it: its lstat, or why it could not be read. */
export type DirEntry = { readonly name: string; readonly stat: EntryStat; readonly error?: undefined } | { readonly name: string; readonly stat?: undefined; readonly error: CairnError };

/** What SourceDir.readWhole read: the file was in `buffer[0, length)`. */
export interface WholeRead {
  /** The open file's metadata before the read (an fstat). */
  readonly stat: EntryStat;
  /** The bytes read: the whole file, as long as it did not change during the read. */
  readonly length: number;
  /** Its size and mtime after the read (an fstat): a file that changed while read shows here. */
  readonly after: { readonly size: number; readonly mtimeNs: bigint };
  /** True when the file has no extended attributes (its xattrs need not be asked for); false when it may have some, or when attributes are not read. */
  readonly noXattrs: boolean;
}

/**
 * An open folder of a Source: its entries are reached relative to the folder itself, so that a
 * folder above it renamed or swapped for a symlink while a backup runs cannot redirect them.
 * Arguments are entry names (never '/'); errors name full paths.
 */
export interface SourceDir {
  /** The folder's path in the source, for messages. */
  readonly path: string;
  /** Names in the folder, sorted by their UTF-8 bytes. */
  names(): Promise<string[]>;
  /** Metadata of the entry itself (symlinks are not followed). */
  lstat(name: string): Promise<EntryStat>;
  /**
   * Optional: names() with each entry's lstat (or the CairnError it gave, such as an entry gone
   * since the listing), read in one go where that costs less than a call per entry.
   */
  entries?(): Promise<DirEntry[]>;
  /** Target of a symlink. */
  readlink(name: string): Promise<string>;
  /**
   * Opens a regular file without following a symlink and without blocking on a fifo; where the
   * source can tell, refuses (ERR_NOT_FOUND) a file that is no longer the entry `expected` describes.
   */
  openFile(name: string, expected: EntryStat): Promise<SourceFile>;
  /**
   * Optional, and synchronous: the regular file `name` read whole into `buffer` in one go, from
   * its open to its close, when it is still the entry `expected` describes (device and inode) and
   * shorter than the buffer. Null when it is not done so, for any reason (a longer file, another
   * entry, not a regular file, a call that failed): the caller then opens the file with openFile,
   * which says why. A source offers it where one call costs less than openFile's several (a
   * backup of many small files); an adapter that wraps openFile must wrap or leave out this too.
   */
  readWhole?(name: string, expected: EntryStat, buffer: Uint8Array): WholeRead | null;
  /** Opens a child folder, refusing (ERR_NOT_FOUND) one that is no longer the folder `expected` describes. */
  openDir(name: string, expected: EntryStat): Promise<SourceDir>;
  /** The source's own SHA-256 of a whole regular file (see Source.digest). Optional. */
  digest?(name: string): Promise<Uint8Array>;
  /** The entry's extended attributes, sorted by name (see Source.xattrs). Optional. */
  xattrs?(name: string): Promise<readonly Xattr[]>;
  /**
   * Optional hint: the backup is about to read the regular files `names` of this folder, so the
   * source may start reading them ahead (a disk then serves many at once). No result and never
   * an error: what cannot be read ahead is read, or fails, when it is opened.
   */
  prefetch?(names: readonly string[]): void;
  /** Releases the folder; its children stay usable only until then. */
  close(): Promise<void>;
}

/**
 * What a backup reads: a local folder, a device's filesystem. Paths are the source's
 * own ('/'-separated); errors are CairnErrors (ERR_NOT_FOUND, ERR_PERMISSION, ERR_IO).
 */
export interface Source {
  /** What the source is, for messages and snapshot records ("local", "device:/dev/ttyACM0"). */
  readonly name: string;
  /** The absolute, normalised form of a path given by the user. */
  resolve(path: string): string;
  /** Joins a folder path and an entry name. */
  join(dir: string, name: string): string;
  /** Metadata of the entry itself (symlinks are not followed). */
  lstat(path: string): Promise<EntryStat>;
  /** Names in a folder, sorted by their bytes (bytes that are not valid UTF-8 held as U+DC80–U+DCFF, see nameFromBytes). */
  readdir(path: string): Promise<string[]>;
  /** Target of a symlink (bytes that are not valid UTF-8 held as U+DC80–U+DCFF). */
  readlink(path: string): Promise<string>;
  /** Opens a regular file without following a symlink and without blocking on a fifo. */
  openFile(path: string): Promise<SourceFile>;
  /**
   * Opens the folder at `path` without following a symlink in its last component, refusing
   * (ERR_NOT_FOUND, "replaced while it was read") one whose type, device and inode are not
   * `expected`'s. Optional: a backup reaches the entries of a source without it by their paths.
   */
  openDir?(path: string, expected: EntryStat): Promise<SourceDir>;
  /**
   * False when size and mtime cannot show that a file changed (a board without a clock):
   * a backup then never trusts them and compares `digest` with the parent's content instead.
   * Default true.
   */
  readonly metadataShowsChanges?: boolean;
  /**
   * The SHA-256 of a whole regular file, computed where the file lives (a board's own
   * hashlib), so that an unchanged file need not cross a slow link. Optional.
   */
  digest?(path: string): Promise<Uint8Array>;
  /**
   * The entry's extended attributes (a symlink's own, never its target's), sorted by name; empty
   * when it has none. Optional: a source without them records none.
   */
  xattrs?(path: string): Promise<readonly Xattr[]>;
}

/**
 * A file a restore writes by position under a temporary name (from Target.createFile): it
 * appears under its real name only when committed.
 */
export interface TargetFile {
  /** Writes all of `data` at byte `position`; writes may come in any order. */
  write(data: Uint8Array, position: number): Promise<void>;
  /**
   * Gives the file its `metadata` when given (owner where permitted, mode, then mtime), closes
   * it and renames it over its final path (replacing what is there, never following it).
   * When it fails, the temporary file is removed.
   */
  commit(metadata?: EntryMetadata): Promise<void>;
  /** Closes the file and removes it, leaving the final path as it was; does nothing after commit(). */
  abort(): Promise<void>;
}

/** A whole file for Target.writeFiles. */
export interface WholeFile {
  readonly path: readonly string[];
  readonly data: Uint8Array;
  readonly metadata: EntryMetadata | undefined;
  /** Nothing was at `path` when the restore looked: it may be written in place. */
  readonly fresh: boolean;
}

/**
 * Where a restore writes: a local folder, a device. Paths are arrays of entry names
 * below the target's root; a target never follows a symlink in them and refuses
 * names that are empty, '.', '..' or contain '/' or NUL.
 */
export interface Target {
  /** Where the target points, for messages. */
  readonly location: string;
  /** Metadata of the entry at `path`, or null when there is none. */
  lstat(path: readonly string[]): Promise<EntryStat | null>;
  /**
   * Creates a folder (its parent exists); an existing real folder is fine, anything else is
   * ERR_EXISTS. `[]` is the target's own root, created with its parents when missing.
   */
  mkdir(path: readonly string[]): Promise<void>;
  /** Writes a file under a temporary name, then renames it over `path`. */
  writeFile(path: readonly string[], data: AsyncIterable<Uint8Array>): Promise<void>;
  /**
   * Optional: creates a file of `size` bytes (bytes never written are zeros) under a temporary
   * name next to `path`, to be written by position and then committed over `path` or aborted.
   * A restore uses it to write several files at once in pack order; without it, it streams
   * each file to writeFile (so a wrapper that overrides writeFile must override this too).
   */
  createFile?(path: readonly string[], size: number): Promise<TargetFile>;
  /**
   * Optional, beside createFile: writes whole files at once, each from one buffer, with its
   * metadata when given (as TargetFile.commit gives it). A file marked `fresh` had nothing at
   * its path when the restore looked, so it may be written in place (no temporary name): an
   * interrupted restore leaves it with the wrong size or mtime, which the next restore sees; a
   * file not fresh replaces what is there as createFile's commit does. The result holds, in
   * order, undefined for a file written or the error that kept it from being written (and
   * removed what it had made); after an error that ends all writing (a full target) it stops,
   * so the files after it have no result. A restore hands it the small files of each read.
   */
  writeFiles?(files: readonly WholeFile[]): Promise<readonly unknown[]>;
  /**
   * Creates a symlink (replacing what is at `path`, never following it); with `metadata`, sets
   * its owner (where permitted) and mtime too, as setMetadata would for the symlink it made.
   */
  symlink(path: readonly string[], linkTarget: string, metadata?: EntryMetadata): Promise<void>;
  /** Makes `path` a hardlink of `existing` (replacing what is at `path`). */
  link(existing: readonly string[], path: readonly string[]): Promise<void>;
  /** Removes a file, symlink or empty folder at `path` (nothing there is fine); a folder that is not empty is ERR_EXISTS: a restore never deletes what it did not write. */
  remove(path: readonly string[]): Promise<void>;
  /** Sets mode, owner (where permitted) and mtime; for a symlink only what the OS allows. */
  setMetadata(path: readonly string[], type: NodeType, meta: EntryMetadata): Promise<void>;
  /**
   * The SHA-256 of the whole regular file at `path`, computed where the file lives (a board's
   * own hashlib), so that a restore can leave a file that already holds the snapshot's content
   * in place instead of sending it over a slow link. Optional.
   */
  digest?(path: readonly string[]): Promise<Uint8Array>;
  /**
   * Optional: sets the extended attributes of the entry at `path` (never following a symlink).
   * A restore calls it before setMetadata (a read-only mode could forbid it afterwards). It tries
   * every attribute, then throws one CairnError naming the entry and each one it could not set.
   */
  setXattrs?(path: readonly string[], xattrs: readonly Xattr[]): Promise<void>;
  /**
   * Optional: the error that ended the target as a whole (a board's link that closed), after
   * which nothing more can be written. A restore that meets an entry's error asks it: with one,
   * the restore stops with that error instead of going on to the next entries.
   */
  failure?(): CairnError | undefined;
}
