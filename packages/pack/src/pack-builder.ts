import { createHash } from 'node:crypto';
import { ID_LENGTH, idEquals, packedBlob } from '@cairn/core';
import type { BlobType, Id, PackedBlob } from '@cairn/core';
import type { EncodedBlob } from './blob-codec.js';
import { requireBlobTypeCode, requireCodecCode } from './codes.js';
import { encodePackHeader } from './pack-header.js';
import { PACK_TRAILER_LENGTH, encodePackTrailer } from './pack-trailer.js';

/** A complete pack: its bytes in order, its id and what it holds. */
export interface FinishedPack {
  /** SHA-256 (keyed in an encrypted repository) of all the pack's bytes (blobs, header, trailer): its name in the repository. */
  readonly id: Id;
  /** The pack's bytes, to be written back to back: the blobs (those not spilled), then header and trailer. */
  readonly parts: readonly Uint8Array[];
  readonly size: number;
  readonly blobs: readonly PackedBlob[];
}

/** Ids per slab the entries' ids are copied into (2 KiB). */
const ID_SLAB = 64;

/** Options of createPackBuilder. */
export interface PackBuilderOptions {
  /**
   * Copy each blob into this buffer (grown when it is too small) instead of keeping a
   * reference to it: the caller may then reuse the blob's memory at once, and reuse this
   * buffer for another pack once the finished one is written. Default: keep references.
   */
  readonly storage?: Uint8Array;
  /** The hash naming the pack (default SHA-256; an encrypted repository's keyed HMAC-SHA-256). */
  readonly hash?: () => IncrementalHash;
  /**
   * With `storage`: reads back `length` stored bytes at `offset` that `spill` handed over (a pack
   * written as it is built), for `stored`. Without it `stored` finds only blobs not spilled.
   */
  readonly readSpilled?: (offset: number, length: number) => Uint8Array | undefined;
}

/** A hash fed in pieces (node:crypto's Hash and Hmac). */
export interface IncrementalHash {
  update(data: Uint8Array): unknown;
  digest(): Buffer;
}

/** One blob of a group: its id and where its plaintext is in the group's plaintext. */
export interface GroupMember {
  readonly id: Id;
  readonly at: number;
  readonly rawLength: number;
}

/** Collects encoded blobs into one pack. */
export interface PackBuilder {
  /** Appends a blob. Without `storage` its bytes are kept, not copied: do not change them afterwards. */
  add(id: Id, type: BlobType, blob: EncodedBlob): void;
  /**
   * Appends a group: one zstd `frame` holding the plaintexts of `members` (data blobs) back to
   * back, `groupRaw` bytes in all; each member gets an entry naming the frame and its place in it.
   */
  addGroup(frame: Uint8Array, groupRaw: number, members: readonly GroupMember[]): void;
  /**
   * A blob added so far and stored whole (not a delta, not in a group), with a view of its stored
   * bytes (valid until the pack's buffer is used again: copy what must outlive that), or what
   * `readSpilled` gives for a spilled one; undefined for any other id. Also after `finish`, while
   * the caller keeps the pack's bytes.
   */
  stored(id: Id): { readonly blob: PackedBlob; readonly data: Uint8Array } | undefined;
  /**
   * With `storage`: hands over the stored bytes added since the last spill (a view of the
   * storage, from offset `spilled` on) and goes on storing into `next`, from its start. For a
   * pack written as it is built: the caller writes those bytes out, in order, and may reuse their
   * buffer once they are written. `finish` then gives only the bytes not spilled, and the header.
   */
  spill(next: Uint8Array): Uint8Array;
  /** Bytes handed over by `spill` so far: the offset in the pack of the storage's first byte. */
  readonly spilled: number;
  /** Bytes of the blobs added so far (header and trailer not counted). */
  readonly size: number;
  /** Number of blobs added so far. */
  readonly count: number;
  /** Writes header and trailer and returns the pack; the builder takes no more blobs. */
  finish(): FinishedPack;
}

/**
 * A pack builder. Layout (version 1): the stored blobs back to back from offset 0, then the
 * msgpack header, then its length as uint32 little-endian and the magic "CAIRNPK1". The bytes
 * are hashed as they arrive, so finishing costs only the header.
 */
export function createPackBuilder(options: PackBuilderOptions = {}): PackBuilder {
  const hash = options.hash?.() ?? createHash('sha256');
  const parts: Uint8Array[] = [];
  let storage = options.storage ?? null;
  // The pack's offset of storage[0]: the bytes before it were handed over by spill.
  let spilled = 0;
  const blobs: PackedBlob[] = [];
  let size = 0;
  let finished = false;
  // The entries' ids are copies in shared slabs of ID_SLAB ids: an id of its own ArrayBuffer
  // costs ~200 bytes beside its 32 (the buffer object, its backing store, a malloc), and a
  // backup holds the entries of up to 16 packs (tens of thousands) until their index file.
  let slab = new Uint8Array(0);
  let slabUsed = 0;
  const copyId = (id: Id): Id => {
    if (slabUsed === slab.length) {
      slab = new Uint8Array(ID_LENGTH * ID_SLAB);
      slabUsed = 0;
    }
    const copy = slab.subarray(slabUsed, slabUsed + ID_LENGTH);
    copy.set(id);
    slabUsed += ID_LENGTH;
    return copy;
  };

  /** Appends stored bytes (copied into `storage` when there is one) and hashes them; returns their offset. */
  const append = (data: Uint8Array): number => {
    if (storage === null) {
      parts.push(data);
    } else {
      const used = size - spilled;
      if (used + data.length > storage.length) {
        const grown = new Uint8Array(Math.max(used + data.length, storage.length * 2));
        grown.set(storage.subarray(0, used));
        storage = grown;
      }
      storage.set(data, used);
    }
    hash.update(data);
    const offset = size;
    size += data.length;
    return offset;
  };

  /** The stored bytes at `offset` (a view of `storage`, or of the part that starts there). */
  const storedBytes = (offset: number, length: number): Uint8Array | undefined => {
    if (storage !== null) return offset >= spilled ? storage.subarray(offset - spilled, offset - spilled + length) : options.readSpilled?.(offset, length);
    let at = 0;
    for (const part of parts) {
      if (at === offset) return part.subarray(0, length);
      at += part.length;
    }
    throw new RangeError(`no stored bytes start at ${offset}`);
  };

  return {
    add(id: Id, type: BlobType, blob: EncodedBlob): void {
      if (finished) throw new TypeError('this pack is finished: start a new builder');
      if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) throw new TypeError(`a blob id must be ${ID_LENGTH} bytes`);
      requireBlobTypeCode(type);
      requireCodecCode(blob.codec);
      const { data, rawLength, codec } = blob;
      if (!(data instanceof Uint8Array)) throw new TypeError('blob data must be a Uint8Array');
      if (!Number.isSafeInteger(rawLength) || rawLength < 0) throw new RangeError(`blob rawLength must be a byte count, got ${rawLength}`);
      if (codec === 'none' && data.length !== rawLength) {
        throw new RangeError(`a blob stored as is must have rawLength ${data.length}, got ${rawLength}`);
      }
      const base = blob.base;
      if ((codec === 'delta') !== (base !== undefined)) throw new TypeError('a delta blob, and only a delta blob, names its base');
      if (base !== undefined && (!(base instanceof Uint8Array) || base.length !== ID_LENGTH || type !== 'data')) {
        throw new TypeError(`a delta is a data blob whose base id is ${ID_LENGTH} bytes`);
      }
      if (codec === 'group') throw new TypeError('a group is added with addGroup');
      const offset = append(data);
      blobs.push(packedBlob(copyId(id), type, offset, data.length, rawLength, codec, base === undefined ? undefined : copyId(base)));
    },

    addGroup(frame: Uint8Array, groupRaw: number, members: readonly GroupMember[]): void {
      if (finished) throw new TypeError('this pack is finished: start a new builder');
      if (!(frame instanceof Uint8Array)) throw new TypeError('a group frame must be a Uint8Array');
      if (!Number.isSafeInteger(groupRaw) || groupRaw < 0 || groupRaw > 0xffff_ffff) throw new RangeError(`groupRaw must be a byte count, got ${groupRaw}`);
      if (members.length === 0) throw new RangeError('a group has at least one member');
      for (const { id, at, rawLength } of members) {
        if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) throw new TypeError(`a blob id must be ${ID_LENGTH} bytes`);
        if (!Number.isSafeInteger(at) || !Number.isSafeInteger(rawLength) || at < 0 || rawLength < 0 || at + rawLength > groupRaw) {
          throw new RangeError(`a group member at ${at} of ${rawLength} bytes lies outside its group of ${groupRaw} bytes`);
        }
      }
      const offset = append(frame);
      for (const { id, at, rawLength } of members) {
        blobs.push(packedBlob(copyId(id), 'data', offset, frame.length, rawLength, 'group', undefined, at, groupRaw));
      }
    },

    stored(id: Id) {
      // Newest first: a base is most often a blob added shortly before.
      for (let i = blobs.length - 1; i >= 0; i -= 1) {
        const blob = blobs[i]!;
        if (!idEquals(blob.id, id)) continue;
        if (blob.codec === 'delta' || blob.codec === 'group') return undefined;
        const data = storedBytes(blob.offset, blob.length);
        return data === undefined ? undefined : { blob, data };
      }
      return undefined;
    },

    spill(next: Uint8Array): Uint8Array {
      if (finished) throw new TypeError('this pack is finished: start a new builder');
      if (storage === null) throw new TypeError('only a builder with storage spills');
      const out = storage.subarray(0, size - spilled);
      storage = next;
      spilled = size;
      return out;
    },

    get spilled(): number {
      return spilled;
    },

    get size(): number {
      return size;
    },

    get count(): number {
      return blobs.length;
    },

    finish(): FinishedPack {
      if (finished) throw new TypeError('this pack is already finished');
      finished = true;
      const header = encodePackHeader(blobs);
      const trailer = encodePackTrailer(header.length);
      hash.update(header);
      hash.update(trailer);
      const digest = hash.digest();
      return {
        id: new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength),
        parts: storage === null ? [...parts, header, trailer] : [storage.subarray(0, size - spilled), header, trailer],
        size: size + header.length + PACK_TRAILER_LENGTH,
        blobs,
      };
    },
  };
}
