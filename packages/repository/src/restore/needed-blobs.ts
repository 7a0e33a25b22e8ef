import { ID_LENGTH, codecCode, codecFromCode, toHex } from '@cairn/core';
import type { CodecName, Id } from '@cairn/core';
import type { BlobIndex } from '@cairn/index';
import { grownCapacity, resized } from './columns.js';
import { DeltaBaseCache } from './delta-base-cache.js';
import { storedShare } from '../repo/blob-group.js';

/**
 * The distinct blobs a restore reads, numbered 0, 1, … in order of first use, with where each
 * is stored, as columns: 32 bytes of id and 17 of location per blob, no object per blob. A blob
 * is found again by the first 31 bits of its id (a number key, no hex string); ids that share
 * those bits (rare) are told apart by their hex.
 */
export class NeededBlobs {
  /** Number of blobs. */
  count = 0;
  /** Stored bytes of all blobs (each counted once; a group member by its share of its group's frame). */
  storedBytes = 0;
  private capacity = 0;
  private ids = new Uint8Array(0);
  private packOf = new Int32Array(0);
  /** offset, length, rawLength of each blob. */
  private fields = new Uint32Array(0);
  private codecs = new Uint8Array(0);
  /** groupAt, groupRaw of each group member (0 for other blobs). */
  private groups = new Uint32Array(0);
  /** Group frames decompressed by this restore so far (a group read once for all its members counts 1). */
  groupsDecoded = 0;
  private readonly byKey = new Map<number, number>();
  private readonly collided = new Map<string, number>();
  private readonly packs: Id[] = [];
  /** Pack numbers by the index's pack id object (shared by every location in one pack). */
  private readonly packNumbers = new Map<Id, number>();
  /** The base of each delta blob (few are). */
  private readonly deltaBases = new Map<number, Id>();
  /** The bases the deltas among these blobs are decoded against, read once for all of them. */
  readonly bases: DeltaBaseCache;

  constructor(private readonly index: Pick<BlobIndex, 'lookup'>) {
    this.bases = new DeltaBaseCache(index);
  }

  /** The number of blob `id`, added (with its location) when new; RangeError when the index does not hold it. */
  add(id: Id): number {
    const key = keyOf(id);
    const first = this.byKey.get(key);
    if (first !== undefined) {
      if (this.holds(first, id)) return first;
      const other = this.collided.get(toHex(id));
      if (other !== undefined) return other;
    }
    const location = this.index.lookup(id);
    if (location === undefined) throw new RangeError(`blob ${toHex(id)} is not in the index`);
    const b = this.count;
    if (b === this.capacity) this.grow();
    this.count += 1;
    this.ids.set(id, b * ID_LENGTH);
    let pack = this.packNumbers.get(location.packId);
    if (pack === undefined) {
      pack = this.packs.length;
      this.packs.push(location.packId);
      this.packNumbers.set(location.packId, pack);
    }
    this.packOf[b] = pack;
    this.fields[b * 3] = location.offset;
    this.fields[b * 3 + 1] = location.length;
    this.fields[b * 3 + 2] = location.rawLength;
    this.codecs[b] = codecCode(location.codec);
    this.groups[b * 2] = location.groupAt ?? 0;
    this.groups[b * 2 + 1] = location.groupRaw ?? 0;
    // A group member counts its share of the group's frame: the members of a group add up to the frame once.
    this.storedBytes += storedShare(location);
    if (location.base !== undefined) {
      this.deltaBases.set(b, location.base);
      this.bases.expect(location.base);
    }
    if (first === undefined) this.byKey.set(key, b);
    else this.collided.set(toHex(id), b);
    return b;
  }

  /** Blob `b`'s id (a view: do not modify it). */
  id(b: number): Id {
    return this.ids.subarray(b * ID_LENGTH, (b + 1) * ID_LENGTH);
  }

  /** The number of blob `b`'s pack (packs are numbered in order of first use). */
  pack(b: number): number {
    return this.packOf[b]!;
  }

  /** Number of distinct packs. */
  get packCount(): number {
    return this.packs.length;
  }

  /** The id of pack number `p`. */
  packId(p: number): Id {
    return this.packs[p]!;
  }

  offset(b: number): number {
    return this.fields[b * 3]!;
  }

  /** Stored length. */
  length(b: number): number {
    return this.fields[b * 3 + 1]!;
  }

  /** Plaintext length. */
  rawLength(b: number): number {
    return this.fields[b * 3 + 2]!;
  }

  codec(b: number): CodecName {
    return codecFromCode(this.codecs[b]!) ?? 'none';
  }

  /** A group member's offset in its group's plaintext (0 for other blobs). */
  groupAt(b: number): number {
    return this.groups[b * 2]!;
  }

  /** A group member's group's plaintext length (0 for other blobs). */
  groupRaw(b: number): number {
    return this.groups[b * 2 + 1]!;
  }

  /** The base of blob `b` when it is a delta, else undefined. */
  base(b: number): Id | undefined {
    return this.deltaBases.get(b);
  }

  /** The codec's wire code. */
  codecCode(b: number): number {
    return this.codecs[b]!;
  }

  private holds(b: number, id: Id): boolean {
    const at = b * ID_LENGTH;
    for (let i = 0; i < ID_LENGTH; i += 1) if (this.ids[at + i] !== id[i]) return false;
    return true;
  }

  private grow(): void {
    this.capacity = grownCapacity(this.capacity, this.count + 1);
    this.ids = resized(this.ids, this.capacity * ID_LENGTH);
    this.packOf = resized(this.packOf, this.capacity);
    this.fields = resized(this.fields, this.capacity * 3);
    this.codecs = resized(this.codecs, this.capacity);
    this.groups = resized(this.groups, this.capacity * 2);
  }
}

/** The first 31 bits of an id, as a small integer (a Map key that needs no allocation). */
function keyOf(id: Id): number {
  return ((id[0]! << 23) | (id[1]! << 15) | (id[2]! << 7) | (id[3]! >>> 1)) >>> 0;
}
