import { readdirSync } from 'node:fs';
import { compareNames, nameFromBytes } from '@cairn/core';
import { fsPath } from './fs-path.js';

/** Code units at or above U+D800: only there does UTF-16 order differ from the UTF-8 byte order. */
const highUnits = /[\uD800-\uFFFF]/;

/**
 * The names in the folder at `at`, sorted by their bytes; a name that is not valid UTF-8 keeps
 * its bytes (see nameFromBytes). Read as strings first (Node turns bytes that are not UTF-8 into
 * U+FFFD): only a listing that shows U+FFFD is read again as bytes. Throws the fs error.
 */
export function listFolder(at: string): string[] {
  const names = readdirSync(fsPath(at));
  if (names.some((name) => name.includes('\uFFFD'))) {
    return readdirSync(fsPath(at), { encoding: 'buffer' }).sort(Buffer.compare).map(nameFromBytes);
  }
  // Below U+D800 the order of UTF-16 code units is the order of UTF-8 bytes.
  return names.some((name) => highUnits.test(name)) ? names.sort(compareNames) : names.sort();
}
