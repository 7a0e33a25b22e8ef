import { randomBytes } from 'node:crypto';

/** Throws TypeError naming the value unless `name` is a usable entry name (not empty, '.', '..', no '/' or NUL). */
export function assertEntryName(name: string): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new TypeError(`not a valid entry name (empty, ".", ".." or containing "/" or NUL): ${JSON.stringify(name)}`);
  }
}

/** Throws TypeError naming the value unless `path` is a non-empty array of valid entry names. */
export function assertTargetPath(path: readonly string[]): void {
  if (!Array.isArray(path) || path.length === 0) {
    throw new TypeError(`a target path must be a non-empty array of entry names, got ${JSON.stringify(path)}`);
  }
  path.forEach(assertEntryName);
}

/** A fresh temporary name next to `name`: `.<name>.cairn-<random>` (shorter when `name` is long). */
export function tempNameFor(name: string): string {
  const random = randomBytes(6).toString('hex');
  return Buffer.byteLength(name) > 200 ? `.cairn-${random}` : `.${name}.cairn-${random}`;
}
