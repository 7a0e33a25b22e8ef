import type { FileRef, Id, NodeType, Xattr } from '@cairn/core';

/**
 * One entry of a tree (a folder listing). Times are nanoseconds since 1970. A name (or a
 * symlink target) whose bytes are not valid UTF-8 holds them as U+DC80–U+DCFF (see
 * nameFromBytes in @cairn/core).
 */
export interface TreeNode {
  readonly name: string;
  readonly type: NodeType;
  /** Permission bits with setuid/setgid/sticky (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
  readonly dev: bigint;
  readonly nlink: number;
  readonly size: number;
  /** Files: the data blob ids, in order. */
  readonly content?: Id[];
  /** Dirs: the id of the folder's tree blob. */
  readonly subtree?: Id;
  /** Symlinks: the link's target. */
  readonly linkTarget?: string;
  /** Devices (and other special files): the device number. */
  readonly rdev?: number;
  /**
   * Files only, instead of `content` (format version 2): the file is recorded by reference, as
   * the content its version control system holds under `id` in `commit`; the snapshot's working
   * copy record for the enclosing folder says which VCS and remote.
   */
  readonly ref?: FileRef;
  /** Extended attributes (format version 3), sorted by name; absent when the entry has none. */
  readonly xattrs?: readonly Xattr[];
}

/** Every NodeType, in the order of core's union. */
export const NODE_TYPES: readonly NodeType[] = ['file', 'dir', 'symlink', 'fifo', 'socket', 'chardev', 'blockdev'];

/** The keys of a node map, in the order they are written. */
export const NODE_KEYS: readonly string[] = [
  'name', 'type', 'mode', 'uid', 'gid', 'mtime', 'ctime', 'ino', 'dev', 'nlink', 'size', 'content', 'subtree', 'target', 'rdev', 'ref', 'xattrs',
];

/** Keys of a node that version 1 of the tree format does not have. */
export const NODE_KEYS_V2: readonly string[] = ['ref'];

/** Keys of a node that versions 1 and 2 of the tree format do not have. */
export const NODE_KEYS_V3: readonly string[] = ['xattrs'];

/** The optional wire keys of a node. */
export type NodeExtraKey = 'content' | 'subtree' | 'target' | 'rdev';

/** Whether a node of `type` must have, may have or must not have the optional key `key`. */
export function extraKeyRule(type: NodeType, key: NodeExtraKey): 'required' | 'optional' | 'forbidden' {
  switch (key) {
    case 'content':
      return type === 'file' ? 'required' : 'forbidden';
    case 'subtree':
      return type === 'dir' ? 'required' : 'forbidden';
    case 'target':
      return type === 'symlink' ? 'required' : 'forbidden';
    case 'rdev':
      return type === 'file' || type === 'dir' || type === 'symlink' ? 'forbidden' : 'optional';
  }
}

/** What the type of a node needs, for messages: "a file needs content". */
export const EXTRA_KEY_OWNER: Readonly<Record<NodeExtraKey, string>> = {
  content: 'files',
  subtree: 'dirs',
  target: 'symlinks',
  rdev: 'special files (fifo, socket, chardev, blockdev)',
};

/**
 * Why `name` may not name a tree entry, or undefined when it may: an empty name, '.', '..'
 * or one holding '/' or NUL could make a restore write outside its folder.
 */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `is ${JSON.stringify(name)}`;
  if (name.includes('/')) return `${JSON.stringify(name)} contains '/'`;
  if (name.includes('\0')) return `${JSON.stringify(name)} contains NUL`;
  return undefined;
}

/** The largest mode a node may have (permission bits with setuid/setgid/sticky). */
export const MAX_MODE = 0o7777;
