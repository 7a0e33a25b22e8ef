import { CairnError } from '@cairn/core';
import { describeValue } from './describe-value.js';

/**
 * The newest repository format version (config, index files) this code reads. Version 2 adds
 * delta blobs (a data blob stored as a zstd frame against another blob's plaintext): a config
 * of version 2 says the repository may hold them, and an index file naming one is version 2.
 * A repository without deltas stays version 1, which every cairn reads. Version 3 adds grouped
 * small blobs (GROUP_FORMAT_VERSION).
 */
export const FORMAT_VERSION = 3;

/** The format version that brought delta blobs (config `deltas`, index and pack entries naming a base). */
export const DELTA_FORMAT_VERSION = 2;

/**
 * The format version that brought grouped small blobs (config `groups`; index and pack entries of
 * codec 3, several small data blobs sharing one zstd frame): a cairn before it refuses such a repository.
 */
export const GROUP_FORMAT_VERSION = 3;

/**
 * The newest version of snapshot files this code reads. Version 2 adds optional keys (working
 * copies, skipped entries, file classes); a snapshot that uses none of them is still written as
 * version 1, which every cairn reads.
 */
export const NEWEST_FILE_VERSION = 2;

/**
 * The newest version of tree files this code reads. Version 2 adds a file recorded by reference;
 * version 3 names and symlink targets that are not valid UTF-8 (as bin) and extended attributes.
 * A tree is written with the lowest version that holds what it uses.
 */
export const NEWEST_TREE_VERSION = 3;

/**
 * The version `found`, when it is one from 1 to `newest`; throws ERR_VERSION for any other
 * version; returns null (for the caller's ERR_FORMAT) when it is not a version number at all.
 */
export function checkFormatVersion(found: unknown, where: string, newest: number = FORMAT_VERSION): number | null {
  const version = typeof found === 'bigint' ? Number(found) : found;
  if (typeof version !== 'number' || !Number.isInteger(version)) return null;
  if (version < 1 || version > newest) {
    const reads = newest === 1 ? 'version 1' : `versions 1 to ${newest}`;
    throw new CairnError('ERR_VERSION', `${where} has format version ${describeValue(version)}; this cairn reads ${reads}`, {
      hint: 'upgrade cairn to read it',
    });
  }
  return version;
}
