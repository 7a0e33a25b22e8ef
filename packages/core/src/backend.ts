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
}

/** The capacity of the storage a backend writes to, in bytes. */
export interface StorageSpace {
  readonly total: number;
  readonly free: number;
}
