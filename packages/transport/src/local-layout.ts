import { join } from 'node:path';
import type { FileType } from '@cairn/core';

const typeFolders: Readonly<Record<Exclude<FileType, 'config'>, string>> = {
  data: 'data',
  index: 'index',
  snapshot: 'snapshots',
  key: 'keys',
  lock: 'locks',
};

/**
 * The folders a local repository's `create` makes below its root. data's 256 prefix folders are
 * made by the first pack written in each (a small repository then holds a few, not 256 empty
 * folders of 4 KiB each: 1 MiB on ext4).
 */
export const typeFolderNames: readonly string[] = Object.values(typeFolders);

/** Whether `name` is one of data's 256 prefix folders (`00` to `ff`: the first two hex digits of its packs' names). */
export function isPrefixFolder(name: string): boolean {
  return /^[0-9a-f]{2}$/.test(name);
}

/** The folder holding files of `type` (the root for config; data's files sit one level further down). */
export function typeFolder(root: string, type: FileType): string {
  return type === 'config' ? root : join(root, typeFolders[type]);
}

/** Where a (checked) file name of `type` lives: `config`, `data/<first 2 hex digits>/<name>`, `index/<name>`, … */
export function filePath(root: string, type: FileType, name: string): string {
  if (type === 'config') return join(root, 'config');
  if (type === 'data') return join(root, 'data', name.slice(0, 2), name);
  return join(typeFolder(root, type), name);
}
