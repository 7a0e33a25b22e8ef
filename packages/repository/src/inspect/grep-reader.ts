import { storedShare } from '../repo/blob-group.js';
import { CairnError, codecCode, isCairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { BlobLocation } from '@cairn/index';
import { unpackBlob } from '../repo/blob-check.js';
import { packFileName } from '../repo/names.js';
import type { Repository } from '../repo/repository.js';
import type { TakeBlob } from './grep-pool.js';
import type { Contents } from './grep-walk.js';

/** Reads the blobs of the contents a search needs, as stored. */
export interface BlobReader {
  /** Content numbers in the order their first blobs are stored (pack by pack, by offset). */
  readonly order: Uint32Array;
  /** Stored bytes of every blob the search reads. */
  readonly storedBytes: number;
  /** Stored bytes of a content's blobs. */
  storedSize(content: number): number;
  /** Gives each blob of a content as stored to `take`; a promise only when a pack had to be read. */
  stored(content: number, describe: (content: number) => string, take: TakeBlob): Promise<void> | undefined;
  /** A content's plaintext blob by blob, verified (for contents too large for a worker). */
  plain(content: number, describe: (content: number) => string): AsyncGenerator<Uint8Array>;
}

/** How many spans of packs the reader keeps (a content's later blobs may lie in the pack before). */
const SPANS_KEPT = 2;

/** The wire codes of the codecs the reader treats apart: a delta is handed over decoded, as codec none. */
const NONE = codecCode('none');
const DELTA = codecCode('delta');
const GROUP = codecCode('group');

/** A delta (through its base) and a group member (through its group) are read with loadBlob and handed over decoded. */
function readsThroughLoadBlob(codec: string | undefined): boolean {
  return codec === 'delta' || codec === 'group';
}

/**
 * Reads the blobs of file contents as stored, in pack order. From each pack, the stretch from its
 * first to its last needed blob is read in one piece when at least half of it is needed, and kept
 * while the next contents use it; from any other, only the blobs needed are read. A single-blob
 * content's place is looked up once and kept in typed arrays (no object per file).
 */
export function createBlobReader(repo: Repository, contents: Contents): BlobReader {
  const count = contents.size;
  const packOf = new Int32Array(count).fill(-1); // the first blob's pack number; -1 when it is not in the index
  const offsetOf = new Float64Array(count);
  const lengthOf = new Float64Array(count); // stored bytes of all the content's blobs
  const rawOf = new Uint32Array(count);
  const codecOf = new Uint8Array(count);
  const packs: { readonly id: Id; readonly name: string; start: number; end: number; needed: number }[] = [];
  const packNumber = new Map<Id, number>(); // the index shares one packId object among a pack's locations
  let storedBytes = 0;
  const placeOf = (location: BlobLocation): number => {
    let n = packNumber.get(location.packId);
    if (n === undefined) {
      n = packs.length;
      packNumber.set(location.packId, n);
      packs.push({ id: location.packId, name: toHex(location.packId), start: location.offset, end: location.offset + location.length, needed: 0 });
    }
    const pack = packs[n]!;
    pack.start = Math.min(pack.start, location.offset);
    pack.end = Math.max(pack.end, location.offset + location.length);
    // A group member counts its share of its group's frame (the members add up to the frame once).
    pack.needed += storedShare(location);
    storedBytes += storedShare(location);
    return n;
  };
  for (let c = 0; c < count; c += 1) {
    const blobs = contents.blobCount(c);
    for (let k = 0; k < blobs; k += 1) {
      const location = repo.index.lookup(contents.blob(c, k));
      if (location === undefined) continue;
      const n = placeOf(location);
      lengthOf[c] = (lengthOf[c] ?? 0) + location.length;
      if (k === 0) {
        packOf[c] = n;
        offsetOf[c] = location.offset;
        rawOf[c] = location.rawLength;
        codecOf[c] = codecCode(location.codec);
      }
    }
  }
  const order = new Uint32Array(count);
  for (let c = 0; c < count; c += 1) order[c] = c;
  order.sort((a, b) => (packOf[a]! - packOf[b]!) || (offsetOf[a]! - offsetOf[b]!));

  /** Stretches of packs read whole, newest last. */
  const spans: { pack: number; bytes: Uint8Array }[] = [];
  const missing = (id: Id, content: number, describe: (content: number) => string): CairnError =>
    new CairnError('ERR_NOT_FOUND', `data blob ${toHex(id)} of ${describe(content)} is not in the index`, { hint: 'run `cairn check` to see what is damaged' });
  const failed = (error: unknown, id: Id, pack: number, content: number, describe: (content: number) => string): unknown => {
    if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') return error;
    const where = `data blob ${toHex(id)} in ${packFileName(packs[pack]?.name ?? '')} (${describe(content)})`;
    return new CairnError(error.code === 'ERR_NOT_FOUND' ? 'ERR_NOT_FOUND' : 'ERR_INTEGRITY', `${where}: ${error.message}`, { cause: error });
  };
  /** The span holding a blob, if read. */
  const inSpan = (pack: number, offset: number, length: number): Uint8Array | undefined => {
    for (const span of spans) {
      if (span.pack !== pack) continue;
      const at = offset - packs[pack]!.start;
      if (at + length > span.bytes.length) throw new CairnError('ERR_INTEGRITY', `the pack is shorter than the index says: it holds no blob at ${offset}+${length}`);
      return span.bytes.subarray(at, at + length);
    }
    return undefined;
  };
  /** Reads a blob: from its pack's span (read now when dense enough), or alone. */
  const readBlob = async (pack: number, offset: number, length: number): Promise<Uint8Array> => {
    const info = packs[pack]!;
    if (info.needed * 2 < info.end - info.start) return repo.backend.read('data', info.name, { offset, length });
    const bytes = await repo.backend.read('data', info.name, { offset: info.start, length: info.end - info.start });
    spans.push({ pack, bytes });
    if (spans.length > SPANS_KEPT) spans.shift();
    return inSpan(pack, offset, length) ?? bytes;
  };
  /** One blob of a content as stored, with its location and pack number; errors name the blob and a file holding it. */
  const storedBlob = async (id: Id, content: number, describe: (content: number) => string): Promise<{ stored: Uint8Array; location: BlobLocation; pack: number }> => {
    const location = repo.index.lookup(id);
    if (location === undefined) throw missing(id, content, describe);
    const pack = packNumber.get(location.packId)!;
    try {
      return { stored: inSpan(pack, location.offset, location.length) ?? (await readBlob(pack, location.offset, location.length)), location, pack };
    } catch (error) {
      throw failed(error, id, pack, content, describe);
    }
  };
  /** A delta's plaintext, read through its base by loadBlob, or a group member's, cut from its group (errors name the blob and a file holding it). */
  const deltaPlain = async (id: Id, content: number, describe: (content: number) => string): Promise<Uint8Array> => {
    try {
      return await repo.loadBlob(id, 'data');
    } catch (error) {
      if (!(error instanceof CairnError) || error.code === 'ERR_TRANSIENT' || error.code === 'ERR_ABORTED') throw error;
      throw new CairnError(error.code, `${error.message} (${describe(content)})`, { cause: error, ...(error.hint === undefined ? {} : { hint: error.hint }) });
    }
  };
  const slow = async (content: number, describe: (content: number) => string, take: TakeBlob): Promise<void> => {
    for (const id of contents.blobs(content)) {
      if (readsThroughLoadBlob(repo.index.lookup(id)?.codec)) {
        // Handed over decoded (codec none): the worker still checks it against its id.
        const plain = await deltaPlain(id, content, describe);
        take(id, plain, plain.length, NONE);
        continue;
      }
      const { stored, location } = await storedBlob(id, content, describe);
      take(id, stored, location.rawLength, codecCode(location.codec));
    }
  };
  return {
    order,
    storedBytes,
    storedSize: (content) => lengthOf[content] ?? 0,
    stored(content, describe, take) {
      const pack = packOf[content]!;
      if (contents.blobCount(content) === 1 && pack !== -1 && codecOf[content] !== DELTA && codecOf[content] !== GROUP) {
        const offset = offsetOf[content]!;
        const length = lengthOf[content]!;
        let stored: Uint8Array | undefined;
        try {
          stored = inSpan(pack, offset, length);
        } catch (error) {
          throw failed(error, contents.blob(content, 0), pack, content, describe);
        }
        if (stored !== undefined) {
          take(contents.blob(content, 0), stored, rawOf[content]!, codecOf[content]!);
          return undefined;
        }
      }
      return slow(content, describe, take);
    },
    async *plain(content, describe) {
      for (const id of contents.blobs(content)) {
        if (readsThroughLoadBlob(repo.index.lookup(id)?.codec)) {
          yield await deltaPlain(id, content, describe);
          continue;
        }
        const { stored, location, pack } = await storedBlob(id, content, describe);
        yield unpackBlob(stored, { id, codec: location.codec, rawLength: location.rawLength }, repo, `data blob ${toHex(id)} in ${packFileName(packs[pack]!.name)} (${describe(content)})`);
      }
    },
  };
}
