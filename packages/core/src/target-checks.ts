import type { EntryMetadata } from './node.js';

/** Throws TypeError naming the value unless `name` is a usable entry name (not empty, '.', '..', no '/' or NUL). */
export function assertEntryName(name: string): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new TypeError(`not a valid entry name (empty, ".", ".." or containing "/" or NUL): ${JSON.stringify(name)}`);
  }
}

/** Throws TypeError naming the value unless `path` is a non-empty array of valid entry names (a Target's path). */
export function assertTargetPath(path: readonly string[]): void {
  if (!Array.isArray(path) || path.length === 0) {
    throw new TypeError(`a target path must be a non-empty array of entry names, got ${JSON.stringify(path)}`);
  }
  path.forEach(assertEntryName);
}

/** Throws TypeError / RangeError naming the value unless `meta` is well-formed (a Target's setMetadata argument). */
export function assertMetadata(meta: EntryMetadata): void {
  const id = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  if (typeof meta !== 'object' || meta === null) throw new TypeError(`metadata must be an object, got ${String(meta)}`);
  if (!Number.isInteger(meta.mode) || meta.mode < 0 || meta.mode > 0o7777) throw new RangeError(`mode must be within 0..0o7777, got ${String(meta.mode)}`);
  if (typeof meta.mtimeNs !== 'bigint') throw new TypeError(`mtimeNs must be a bigint, got ${typeof meta.mtimeNs}`);
  if (!id(meta.uid) || !id(meta.gid)) throw new RangeError(`uid and gid must be non-negative integers, got ${String(meta.uid)}:${String(meta.gid)}`);
}
