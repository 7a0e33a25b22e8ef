/** The kinds of filesystem entry cairn records. */
export type NodeType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev';

/** What cairn reads of an entry's metadata (an lstat). Times are nanoseconds since 1970. */
export interface EntryStat {
  readonly type: NodeType;
  /** Permission bits with setuid/setgid/sticky (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
  readonly dev: bigint;
  readonly nlink: number;
  /** Device number of a chardev/blockdev, else 0. */
  readonly rdev: number;
}

/** Metadata a restore applies to an entry. */
export interface EntryMetadata {
  readonly mode: number;
  readonly mtimeNs: bigint;
  readonly uid: number;
  readonly gid: number;
}

/** One extended attribute of an entry: its name ("user.comment") and its value's bytes. */
export interface Xattr {
  readonly name: string;
  readonly value: Uint8Array;
}

/**
 * A file's content as its version control system holds it, recorded instead of the bytes:
 * `id` a git blob id, an hg file node or an svn "r<revision>"; `commit` the commit holding it.
 */
export interface FileRef {
  readonly id: string;
  readonly commit: string;
}
