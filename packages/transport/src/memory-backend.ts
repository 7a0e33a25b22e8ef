import { CairnError } from '@cairn/core';
import type { Backend, ByteRange, FileInfo, FileType } from '@cairn/core';
import { assertRange, truncatedError } from './byte-range.js';
import { concatPieces, samePieces, toPieces } from './bytes.js';
import { assertFileName, assertFileType } from './file-names.js';

/**
 * A repository held in memory, with the same rules as the local backend (exclusive
 * writes, name checks, ERR_INTEGRITY on short range reads). For tests and embedders.
 */
export function createMemoryBackend(location = 'memory:'): Backend {
  if (typeof location !== 'string' || location === '') {
    throw new TypeError(`location must be a non-empty string, got ${JSON.stringify(location)}`);
  }
  const files = new Map<FileType, Map<string, Uint8Array>>();
  const folder = (type: FileType): Map<string, Uint8Array> => {
    let names = files.get(type);
    if (names === undefined) files.set(type, (names = new Map()));
    return names;
  };
  const where = (type: FileType, name: string): string => `${location} ${type} file ${name}`;
  const stored = (type: FileType, name: string): Uint8Array => {
    assertFileName(type, name);
    const bytes = folder(type).get(name);
    if (bytes === undefined) throw new CairnError('ERR_NOT_FOUND', `${where(type, name)} does not exist`);
    return bytes;
  };

  return {
    location,
    async create() {},
    async write(type, name, data) {
      assertFileName(type, name);
      const pieces = toPieces(data);
      const existing = folder(type).get(name);
      if (existing === undefined) {
        folder(type).set(name, concatPieces(pieces));
      } else if (!samePieces(existing, pieces)) {
        throw new CairnError('ERR_EXISTS', `${where(type, name)} already exists with different content`);
      }
    },
    async read(type, name, range?: ByteRange) {
      const bytes = stored(type, name);
      if (range === undefined) return bytes.slice();
      assertRange(range);
      if (range.offset + range.length > bytes.byteLength) throw truncatedError(where(type, name), range, bytes.byteLength);
      return bytes.slice(range.offset, range.offset + range.length);
    },
    async stat(type, name): Promise<FileInfo> {
      return { name, size: stored(type, name).byteLength };
    },
    async *list(type) {
      assertFileType(type);
      const entries = [...folder(type)].map(([name, bytes]) => ({ name, size: bytes.byteLength }));
      yield* entries;
    },
    async remove(type, name) {
      assertFileName(type, name);
      folder(type).delete(name);
    },
  };
}
