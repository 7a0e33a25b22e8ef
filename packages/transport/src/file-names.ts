import { isHexId } from '@cairn/core';
import type { FileType } from '@cairn/core';

const fileTypes: readonly FileType[] = ['config', 'data', 'index', 'snapshot', 'key', 'lock'];
const plainName = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Throws TypeError naming `type` unless it is one of the backend file types. */
export function assertFileType(type: FileType): void {
  if (!fileTypes.includes(type)) throw new TypeError(`not a backend file type: ${JSON.stringify(type)}`);
}

/** True when `name` is a valid name for a file of `type` (temporary and stray files are not). */
export function isFileName(type: FileType, name: string): boolean {
  if (typeof name !== 'string') return false;
  switch (type) {
    case 'config':
      return name === 'config';
    case 'data':
    case 'index':
    case 'snapshot':
      return isHexId(name);
    case 'key':
    case 'lock':
      return name.length <= 200 && plainName.test(name);
    default:
      return false;
  }
}

/**
 * Throws TypeError naming the value unless `name` is valid for `type`: 'config' for config,
 * 64 lower-case hex digits for data/index/snapshot, [A-Za-z0-9._-] not starting with '.' for key/lock.
 */
export function assertFileName(type: FileType, name: string): void {
  assertFileType(type);
  if (isFileName(type, name)) return;
  const rule = type === 'config' ? '"config"'
    : type === 'key' || type === 'lock' ? 'letters, digits, ".", "_", "-" (not starting with ".")'
    : '64 lower-case hex digits';
  throw new TypeError(`not a valid ${type} file name (want ${rule}): ${JSON.stringify(name)}`);
}
