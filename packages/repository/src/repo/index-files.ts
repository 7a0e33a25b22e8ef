import { isCairnError, toHex } from '@cairn/core';
import type { Backend, CairnError } from '@cairn/core';
import { decodeIndexFile, encodeIndexFile, readIndexFileEntries } from '@cairn/index';
import type { BlobIndex, IndexFileEntries, IndexPack } from '@cairn/index';
import { checkContentName } from './blob-check.js';
import { contentIds } from './content-ids.js';

/** An index file that failed to load. */
export interface IndexProblem {
  readonly file: string;
  readonly error: CairnError;
}

/** What readIndexFiles read. */
export interface ReadIndexResult {
  /** The index files read, in the order they were read. */
  readonly names: string[];
  /** The ones that could not be read or decoded. */
  readonly problems: IndexProblem[];
}

/** Rounds of re-listing when index files vanish between list and read (a prune superseding them). */
const MAX_ROUNDS = 8;

/**
 * Reads every index file and hands each one's packs to `onFile`. A file removed between
 * list and read (a prune superseded it) is skipped, and the folder is listed again, so the
 * file that replaced it is read too. Unreadable files become problems; ERR_TRANSIENT is thrown.
 */
export async function readIndexFiles(backend: Backend, onFile: (name: string, packs: IndexPack[]) => void): Promise<ReadIndexResult> {
  return readEachIndexFile(backend, (name, data, where) => onFile(name, decodeIndexFile(data, where)));
}

/**
 * Reads every index file into `index`, as readIndexFiles with addPack would, but each file is
 * scanned in place into the index's arrays (no object per blob): opening a repository.
 */
export async function loadIndexFiles(backend: Backend, index: BlobIndex): Promise<ReadIndexResult> {
  // Every file is read first, so that the index's arrays are sized once for all of them.
  const files: IndexFileEntries[] = [];
  const result = await readEachIndexFile(backend, (_name, data, where) => files.push(readIndexFileEntries(data, where)));
  index.reserve(files.reduce((sum, file) => sum + file.blobCount, 0));
  for (const file of files) file.addTo(index);
  return result;
}

/** readIndexFiles over the bytes of each file, checked against its name; `onFile` may throw a CairnError (a problem). */
async function readEachIndexFile(backend: Backend, onFile: (name: string, data: Uint8Array, where: string) => void): Promise<ReadIndexResult> {
  const names: string[] = [];
  const problems: IndexProblem[] = [];
  const done = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    let vanished = false;
    for await (const file of backend.list('index')) {
      if (done.has(file.name)) continue;
      const where = `index/${file.name}`;
      let data: Uint8Array;
      try {
        data = await backend.read('index', file.name);
      } catch (error) {
        if (isCairnError(error, 'ERR_NOT_FOUND')) {
          vanished = true;
          continue;
        }
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
        done.add(file.name);
        problems.push({ file: where, error });
        continue;
      }
      done.add(file.name);
      try {
        checkContentName(backend, data, file.name, where);
        onFile(file.name, data, where);
        names.push(file.name);
      } catch (error) {
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
        problems.push({ file: where, error });
      }
    }
    if (!vanished) break;
  }
  return { names, problems };
}

/** Writes an index file naming `packs` (named by its hash, never replacing one) and returns its name. */
export async function writeIndexFile(backend: Backend, packs: readonly IndexPack[]): Promise<string> {
  const bytes = encodeIndexFile(packs);
  const name = toHex(contentIds(backend).id(bytes));
  await backend.write('index', name, bytes);
  return name;
}
