/** The kinds of file a repository holds; each lives in its own folder of the backend. */
export type FileType = 'config' | 'data' | 'index' | 'snapshot' | 'key' | 'lock';

/** A stored file's name and size. */
export interface FileInfo {
  readonly name: string;
  readonly size: number;
}

/** A byte range of a stored file. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * What a reader or writer tells a backend about a file, beyond its type and name. Backends may
 * ignore it; a local cache of a remote repository keeps the files it marks.
 */
export interface FileHint {
  /** The data file is a pack of tree blobs: every walk of a snapshot reads it whole. */
  readonly treePack?: boolean;
  /**
   * Reading: a buffer the backend may read the file (or range) into when it is large enough; the
   * bytes returned are then a view of it, so a reader of many large files (a copy's packs) reuses
   * its memory. Decorators that keep what they read must copy it; a backend may ignore it.
   */
  readonly into?: Uint8Array;
}

/**
 * Where a repository's files live. Every write is atomic and never replaces a file:
 * writing a name that exists succeeds only when the stored bytes are the same
 * (content-addressed files), otherwise it fails with ERR_EXISTS.
 * Errors are CairnErrors: ERR_NOT_FOUND, ERR_EXISTS, ERR_INTEGRITY (a short read),
 * ERR_NO_SPACE, ERR_PERMISSION, ERR_UNSUPPORTED, ERR_TRANSIENT, ERR_IO.
 */
export interface Backend {
  /** Where the backend points, for messages (a folder path, a URL). */
  readonly location: string;
  /** Creates the backend's folders (succeeding when they exist); ERR_EXISTS when `location` is a file. */
  create(): Promise<void>;
  /** Writes a new file atomically (temporary name, sync, rename). */
  write(type: FileType, name: string, data: Uint8Array | readonly Uint8Array[], hint?: FileHint): Promise<void>;
  /** Reads a whole file, or `range` of it (a short read is ERR_INTEGRITY). */
  read(type: FileType, name: string, range?: ByteRange, hint?: FileHint): Promise<Uint8Array>;
  /** Size of a file; ERR_NOT_FOUND when it is not there. */
  stat(type: FileType, name: string): Promise<FileInfo>;
  /** Every file of a type, in no particular order. */
  list(type: FileType): AsyncIterable<FileInfo>;
  /** Removes a file; removing one that is not there is not an error. */
  remove(type: FileType, name: string): Promise<void>;
  /** Optional: replaces the config file atomically (the one file that may change: `cairn config`). */
  replaceConfig?(data: Uint8Array): Promise<void>;
  /** Optional: the size of the storage holding the backend and the bytes free on it. */
  space?(): Promise<StorageSpace>;
  /**
   * Optional: true when the storage refuses every delete and overwrite but of locks (a `cairn
   * serve --append-only` server), so a command that deletes can refuse before it starts.
   * Decorators (cache, retries, encryption) forward it.
   */
  appendOnly?(): Promise<boolean>;
  /** Optional: removes temporary files that writers which died left behind; returns their names. */
  removeStaleTemporaries?(): Promise<string[]>;
  /**
   * Optional: a pack file written as it is built, for a name known only at its end (its bytes'
   * hash), so that a writer holds a few of its bytes at a time instead of all of them. A backend
   * that cannot write a file before it knows its name (an encrypted one: the name is sealed with
   * its bytes) leaves it out, and packs are given to `write` whole. A decorator that changes how
   * files are written wraps it as well or leaves it out: spreading the inner backend passes it on,
   * and packs then bypass the decorator's `write`.
   */
  createWriter?(type: 'data'): Promise<FileWriter>;
}

/**
 * A data file being written (Backend.createWriter): nothing appears under any name until
 * `finish`, which makes it appear as `write` would have (synced, never replacing another file;
 * the same bytes under that name already: done). After a failed `append` or `finish`, or after
 * `abort`, nothing is left of it.
 */
export interface FileWriter {
  /** Appends `bytes` after what was appended before (one append at a time); they are the caller's again once it settles. */
  append(bytes: Uint8Array): Promise<void>;
  /** A copy of `length` bytes at `offset` of what earlier appends wrote (settled ones only); also during `finish`. */
  readBack(offset: number, length: number): Uint8Array;
  /** Gives the file its name (`data/<name>` as `write` places it), after the last append settled. */
  finish(name: string): Promise<void>;
  /** Drops the file; nothing appears. Safe after a failure, and more than once. */
  abort(): Promise<void>;
}

/** The capacity of the storage a backend writes to, in bytes. */
export interface StorageSpace {
  readonly total: number;
  readonly free: number;
}
