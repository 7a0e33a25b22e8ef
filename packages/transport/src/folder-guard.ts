import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError, fromSystemError } from '@cairn/core';
import { nodeTypeOf } from './entry-stat.js';
import { errnoOf } from './file-io.js';
import { fsPath } from './fs-path.js';

/** Whether the folders above an entry are real folders: ok, one is missing, or one is something else. */
export type ParentState =
  | { readonly state: 'ok' }
  | { readonly state: 'missing' | 'not-folder'; readonly at: string; readonly type?: string };

/** Checks that the folders above a target path are real folders (not symlinks), remembering the ones seen. */
export interface FolderGuard {
  /** The state of the folders above the last name of `path`. */
  parents(path: readonly string[]): Promise<ParentState>;
  /** Throws unless every folder above `path` is a real folder (ERR_NOT_FOUND / ERR_EXISTS naming it). */
  requireParents(path: readonly string[]): Promise<void>;
  /** True when every folder above `path` is already known to be a real folder (no system call). */
  knowsParents(path: readonly string[]): boolean;
  /** Records that `path` is a real folder (the target just made or checked it). */
  add(path: readonly string[]): void;
  /** Forgets `path` and everything below it (it was removed). */
  forget(path: readonly string[]): void;
}

/** A FolderGuard for paths below `root` (the root itself is trusted). Its lstat calls are synchronous: one per folder, cheaper than a thread-pool round trip. */
export function createFolderGuard(root: string): FolderGuard {
  const known = new Set<string>();
  const keyOf = (path: readonly string[]): string => path.join('/');

  const parents = async (path: readonly string[]): Promise<ParentState> => {
    for (let depth = 1; depth < path.length; depth += 1) {
      const prefix = path.slice(0, depth);
      if (known.has(keyOf(prefix))) continue;
      const at = join(root, ...prefix);
      let type: string | undefined;
      try {
        type = nodeTypeOf(lstatSync(fsPath(at), { bigint: true }));
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'missing', at };
        throw fromSystemError(error, at);
      }
      if (type !== 'dir') return { state: 'not-folder', at, type: type ?? 'unknown entry' };
      known.add(keyOf(prefix));
    }
    return { state: 'ok' };
  };

  return {
    parents,
    async requireParents(path) {
      const found = await parents(path);
      const where = join(root, ...path);
      if (found.state === 'missing') {
        throw new CairnError('ERR_NOT_FOUND', `${found.at} does not exist (it is a parent folder of ${where})`);
      }
      if (found.state === 'not-folder') {
        throw new CairnError('ERR_EXISTS', `${found.at} is a ${found.type}, not a folder: cairn does not write through it (${where})`);
      }
    },
    knowsParents(path) {
      let key = '';
      for (let depth = 0; depth < path.length - 1; depth += 1) {
        key = depth === 0 ? path[0]! : `${key}/${path[depth]!}`;
        if (!known.has(key)) return false;
      }
      return true;
    },
    add(path) {
      known.add(keyOf(path));
    },
    forget(path) {
      const key = keyOf(path);
      for (const seen of known) if (seen === key || seen.startsWith(`${key}/`)) known.delete(seen);
    },
  };
}
