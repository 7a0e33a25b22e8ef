import { CairnError, toHex } from '@cairn/core';
import type { CodecName, Id, PackedBlob } from '@cairn/core';
import type { BlobIndex, BlobLocation } from '@cairn/index';
import { decodeBlob, decodeGroup } from '@cairn/pack';
import { checkContentName, unpackBlob } from '../repo/blob-check.js';
import { packFileName } from '../repo/names.js';
import type { Repository } from '../repo/repository.js';
import type { BlobWriter } from '../write/blob-writer.js';

/** Blobs of one pack closer than this are read together (one read instead of two). */
const READ_GAP = 1024 * 1024;
/** A read is cut once it spans this many bytes. */
const READ_SPAN = 8 * 1024 * 1024;
/** Reads in flight while the blobs of the previous ones are decoded and handed on. */
const READS_AHEAD = 2;
/** Read buffers kept for reuse (reads ahead, the one at hand, pack writes in flight). */
const SPARE_BUFFERS = 6;
/** Delta bases kept decoded while a copy runs. */
const BASES_KEPT = 16;

/** One read of a source pack: a byte range and the blobs in it, or the whole pack (checked against its name). */
interface PackRead {
  readonly pack: string;
  readonly whole: boolean;
  readonly offset: number;
  readonly length: number;
  readonly blobs: { readonly id: Id; readonly hex: string; readonly location: BlobLocation }[];
}

/** How copied data blobs go into the destination. */
export interface DataCopyTarget {
  readonly writer: BlobWriter;
  /**
   * True when the destination names content as the source does (repo/content-ids.ts): a blob
   * keeps its id, and one stored whole ('none' or 'zstd') goes in as stored, not compressed again.
   */
  readonly idsAlike: boolean;
  /** Source blob (hex) → destination id, filled for blobs whose id changes. */
  readonly mapped: Map<string, Id>;
  /**
   * Set when the two repositories store pack files alike (copy.ts, packRule): which codecs the
   * destination may hold; a pack whose every blob is wanted and of such codecs is then copied
   * as it is (writer.adoptPack). Null: every blob is stored through the writer.
   */
  readonly packsAlike: ((codec: CodecName) => boolean) | null;
}

/**
 * Copies the data blobs `needed` (hex → source id) from `source` into the destination, each
 * source pack read once (READS_AHEAD reads in flight). A pack whose every indexed blob is needed
 * is read whole and checked against its name (the hash of its bytes: every stored byte of every
 * blob in it checked at once, no blob decoded for it); when `target.packsAlike` allows, such a pack
 * is handed to the writer's adoptPack and copied as it is (checked there, once), and goes blob by
 * blob only when the writer does not take it; of any other pack, ranges that cover the
 * blobs wanted are read and each blob is decoded and checked against its id. Damage is refused by
 * name, never copied. Each blob is then stored through the destination's blob writer: as stored
 * when the ids are alike and its codec is self-contained ('none', 'zstd'), else as plaintext
 * (hashed with the destination's ids and compressed with its settings; the new id goes into
 * `mapped`). `onBlob` hears each blob's plaintext length (or, for a pack copied as it is, its
 * blobs' sum and count at once).
 */
export async function copyDataBlobs(
  source: Pick<Repository, 'backend' | 'config' | 'index' | 'zstd' | 'loadBlob'>,
  needed: ReadonlyMap<string, Id>,
  target: DataCopyTarget,
  options: { readonly signal?: AbortSignal; readonly onBlob?: (bytes: number, blobs?: number) => void } = {},
): Promise<void> {
  const reads = planReads(source, needed);
  const codecs = { backend: source.backend, zstd: source.zstd };
  // Reads go into buffers of a pack's size, each used again once its bytes are stored or
  // written: a copy of a big repository allocates a few, not one per pack (whose churn made
  // the collector run every few packs).
  const spare: Uint8Array[] = [];
  const bufferSize = source.config.packSize + 2 * 1024 * 1024;
  const give = (buffer: Uint8Array): void => {
    if (spare.length < SPARE_BUFFERS) spare.push(buffer);
  };
  const start = (read: PackRead): { buffer: Uint8Array; reading: Promise<Uint8Array> } => {
    const buffer = spare.pop() ?? new Uint8Array(bufferSize);
    const hint = { into: buffer };
    const reading = read.whole ? source.backend.read('data', read.pack, undefined, hint) : source.backend.read('data', read.pack, { offset: read.offset, length: read.length }, hint);
    reading.catch(() => undefined); // a read left in flight when the copy stops fails no one
    return { buffer, reading };
  };
  // Plaintexts are decoded into one buffer, reused: the blob writer copies what it keeps, so a copy makes no garbage per blob.
  let scratch = new Uint8Array(0);
  const into = (length: number): Uint8Array => {
    if (scratch.length < length) scratch = new Uint8Array(Math.max(length, scratch.length * 2));
    return scratch.subarray(0, length);
  };
  // A delta's base, read (and checked) through the source's loadBlob, which follows its chain; the
  // deltas of one file sit together, so a few bases kept serve most of them.
  const bases = new Map<string, Uint8Array>();
  const baseOf = async (base: Id): Promise<Uint8Array> => {
    const key = toHex(base);
    let plain = bases.get(key);
    if (plain === undefined) {
      plain = await source.loadBlob(base, 'data');
      if (bases.size >= BASES_KEPT) bases.delete(bases.keys().next().value!);
      bases.set(key, plain);
    }
    return plain;
  };
  const inFlight: { buffer: Uint8Array; reading: Promise<Uint8Array> }[] = [];
  for (let next = 0; next < Math.min(READS_AHEAD, reads.length); next += 1) inFlight.push(start(reads[next]!));
  for (let i = 0; i < reads.length; i += 1) {
    if (options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'copy stopped');
    const read = reads[i]!;
    const { buffer, reading } = inFlight.shift()!;
    const bytes = await reading;
    if (i + READS_AHEAD < reads.length) inFlight.push(start(reads[i + READS_AHEAD]!));
    if (read.whole) {
      const where = `${packFileName(read.pack)} of the source repository`;
      // A pack every blob of which is wanted, between repositories that store packs alike: copied
      // as it is, checked once (its hash against its name, header against the source's index).
      const outcome = target.packsAlike !== null && read.blobs.every((blob) => target.packsAlike!(blob.location.codec))
        ? await target.writer.adoptPack(packOf(read), bytes, 'data', where, () => give(buffer))
        : 'held';
      if (outcome === 'adopted') {
        let plain = 0;
        for (const { location } of read.blobs) plain += location.rawLength;
        options.onBlob?.(plain, read.blobs.length);
        continue;
      }
      if (outcome === 'held') checkContentName(source.backend, bytes, read.pack, where);
    }
    // A group member is decoded from its group, decoded once per read for all its members, and
    // stored as plaintext (the destination's writer groups small blobs again as it would in a backup).
    const groups = new Map<number, Uint8Array>();
    for (const { id, hex, location } of read.blobs) {
      const stored = bytes.subarray(location.offset - read.offset, location.offset - read.offset + location.length);
      if (stored.length !== location.length) throw new CairnError('ERR_INTEGRITY', `${packFileName(read.pack)} of the source repository is shorter than its index says (data blob ${hex})`);
      const asStored = target.idsAlike && (location.codec === 'none' || location.codec === 'zstd');
      if (asStored && read.whole) {
        await target.writer.saveEncoded('data', id, { codec: location.codec, data: stored, rawLength: location.rawLength });
        options.onBlob?.(location.rawLength);
        continue;
      }
      const where = `data blob ${hex} in ${packFileName(read.pack)} of the source repository`;
      const buffer = location.codec === 'none' ? undefined : into(location.rawLength);
      // A whole blob ('none', 'zstd') of a pack checked whole needs decoding only; any other is
      // checked against its id too, through the one home of reading blob data (unpackBlob).
      // A delta is stored whole in the destination: its base may not be copied, and the
      // destination's writer decides on deltas only within a backup.
      const base = location.codec === 'delta' ? await baseOf(location.base!) : undefined;
      let group: Uint8Array | undefined;
      if (location.codec === 'group') {
        group = groups.get(location.offset) ?? decodeGroup(stored, location.groupRaw ?? 0, source.zstd, where);
        groups.set(location.offset, group);
      }
      const plain = read.whole && (location.codec === 'none' || location.codec === 'zstd')
        ? decodeBlob(stored, location.codec, location.rawLength, source.zstd, where, buffer)
        : unpackBlob(stored, { id, codec: location.codec, rawLength: location.rawLength, ...(location.codec === 'group' ? { groupAt: location.groupAt ?? 0, groupRaw: location.groupRaw ?? 0 } : {}) }, codecs, where, buffer, base, group);
      if (asStored) {
        await target.writer.saveEncoded('data', id, { codec: location.codec, data: stored, rawLength: location.rawLength });
      } else {
        const newId = await target.writer.saveData(plain);
        if (!target.idsAlike) target.mapped.set(hex, newId);
      }
      options.onBlob?.(location.rawLength);
    }
    give(buffer); // the writer copied what it keeps
  }
}

/** A pack and the blobs of it a read names, with the source index's entries for them as they are. */
export function packOf(read: { readonly blobs: readonly { readonly id: Id; readonly location: BlobLocation }[] }): { id: Id; blobs: PackedBlob[] } {
  return { id: new Uint8Array(read.blobs[0]!.location.packId), blobs: read.blobs.map(({ id, location }) => entryOf(id, location)) };
}

/** The index entry of a blob as the source index holds it: every field of its location but the pack (a field a later format adds is kept). */
function entryOf(id: Id, location: BlobLocation): PackedBlob {
  const { packId: _pack, ...entry } = location;
  return { id, ...entry };
}

/** How many blobs the index places in each pack (countBlobs; keyed by the index's own pack id arrays, shared by every location in a pack). */
const blobsPerPack = new WeakMap<BlobIndex, Map<Id, number>>();

/** How many blobs `index` places in each pack, keyed by its pack id arrays (counted once per index). */
export function countBlobs(index: BlobIndex): Map<Id, number> {
  let counts = blobsPerPack.get(index);
  if (counts !== undefined) return counts;
  counts = new Map();
  for (const [, location] of index.entries()) counts.set(location.packId, (counts.get(location.packId) ?? 0) + 1);
  blobsPerPack.set(index, counts);
  return counts;
}

/**
 * The reads that cover `needed`: a pack whose every indexed blob is needed is read whole; of any
 * other, ranges in offset order, neighbours within READ_GAP merged.
 */
function planReads(source: Pick<Repository, 'index'>, needed: ReadonlyMap<string, Id>): PackRead[] {
  const counts = countBlobs(source.index);
  const byPack = new Map<string, { id: Id; hex: string; location: BlobLocation }[]>();
  for (const [hex, id] of needed) {
    const location = source.index.lookup(id);
    if (location === undefined) {
      throw new CairnError('ERR_NOT_FOUND', `data blob ${hex} is not in the source repository's index`, {
        hint: 'run `cairn check` on the source repository; `cairn repair snapshots` there mends a snapshot that lost data',
      });
    }
    const pack = toHex(location.packId);
    let list = byPack.get(pack);
    if (list === undefined) byPack.set(pack, (list = []));
    list.push({ id, hex, location });
  }
  const reads: PackRead[] = [];
  for (const [pack, blobs] of byPack) {
    blobs.sort((a, b) => a.location.offset - b.location.offset);
    if (counts.get(blobs[0]!.location.packId) === blobs.length) {
      reads.push({ pack, whole: true, offset: 0, length: 0, blobs });
      continue;
    }
    let current: { offset: number; end: number; blobs: typeof blobs } | null = null;
    for (const blob of blobs) {
      const { offset, length } = blob.location;
      if (current !== null && offset - current.end <= READ_GAP && offset + length - current.offset <= READ_SPAN) {
        current.end = Math.max(current.end, offset + length);
        current.blobs.push(blob);
        continue;
      }
      if (current !== null) reads.push({ pack, whole: false, offset: current.offset, length: current.end - current.offset, blobs: current.blobs });
      current = { offset, end: offset + length, blobs: [blob] };
    }
    if (current !== null) reads.push({ pack, whole: false, offset: current.offset, length: current.end - current.offset, blobs: current.blobs });
  }
  return reads;
}
