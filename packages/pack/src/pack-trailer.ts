import { CairnError } from '@cairn/core';

/** The last 8 bytes of every pack, in ASCII. */
export const PACK_MAGIC = 'CAIRNPK1';
/** Bytes after the header: its length (uint32 little-endian) and PACK_MAGIC. */
export const PACK_TRAILER_LENGTH = 12;
/** The pack header version of a pack without delta blobs (what every cairn reads). */
export const PACK_FORMAT_VERSION = 1;
/** The pack header version of a pack holding a delta blob (its entries name their base). */
export const PACK_DELTA_VERSION = 2;
/** The pack header version of a pack holding a group of small blobs (entries of codec 3): the newest this version reads. */
export const PACK_GROUP_VERSION = 3;
/** The size the repository aims for before it finishes a pack. */
export const TARGET_PACK_SIZE = 16 * 1024 * 1024;

const MAGIC_BYTES = new TextEncoder().encode(PACK_MAGIC);

/** Where a pack's header sits, as its trailer says. */
export interface PackHeaderLocation {
  readonly headerOffset: number;
  readonly headerLength: number;
}

/** The trailer that closes a pack whose header is `headerLength` bytes. */
export function encodePackTrailer(headerLength: number): Uint8Array {
  if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > 0xffff_ffff) {
    throw new RangeError(`pack header length must fit a uint32, got ${headerLength}`);
  }
  const trailer = new Uint8Array(PACK_TRAILER_LENGTH);
  new DataView(trailer.buffer).setUint32(0, headerLength, true);
  trailer.set(MAGIC_BYTES, 4);
  return trailer;
}

/**
 * Reads a pack's trailer (its last 12 bytes) for a pack of `packSize` bytes. ERR_FORMAT naming
 * `where` when the pack is too short, the magic is wrong or the header cannot fit before it.
 */
export function parsePackTrailer(trailer: Uint8Array, packSize: number, where: string): PackHeaderLocation {
  if (!Number.isSafeInteger(packSize) || packSize < 0) throw new RangeError(`packSize must be a byte count, got ${packSize}`);
  if (packSize < PACK_TRAILER_LENGTH) {
    throw new CairnError('ERR_FORMAT', `${where}: ${packSize} bytes is too short to be a cairn pack`);
  }
  if (!(trailer instanceof Uint8Array) || trailer.length !== PACK_TRAILER_LENGTH) {
    throw new RangeError(`a pack trailer is ${PACK_TRAILER_LENGTH} bytes, got ${trailer?.length}`);
  }
  const magic = trailer.subarray(4);
  if (!magic.every((byte, i) => byte === MAGIC_BYTES[i])) {
    throw new CairnError('ERR_FORMAT', `${where}: not a cairn pack (magic ${JSON.stringify(Buffer.from(magic).toString('latin1'))}, expected "${PACK_MAGIC}")`);
  }
  const headerLength = new DataView(trailer.buffer, trailer.byteOffset, PACK_TRAILER_LENGTH).getUint32(0, true);
  const headerOffset = packSize - PACK_TRAILER_LENGTH - headerLength;
  if (headerOffset < 0) {
    throw new CairnError('ERR_FORMAT', `${where}: pack header length ${headerLength} does not fit in a ${packSize}-byte pack`);
  }
  return { headerOffset, headerLength };
}
