import type { PackedBlob } from '@cairn/core';
import { decodePackHeader } from './pack-header.js';
import { PACK_TRAILER_LENGTH, parsePackTrailer } from './pack-trailer.js';

/** The blobs of a whole pack held in memory (trailer, then header); errors as decodePackHeader's. */
export function decodePack(bytes: Uint8Array, where: string): PackedBlob[] {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`the bytes of ${where} must be a Uint8Array`);
  const size = bytes.length;
  const { headerOffset, headerLength } = parsePackTrailer(bytes.subarray(size - PACK_TRAILER_LENGTH), size, where);
  return decodePackHeader(bytes.subarray(headerOffset, headerOffset + headerLength), size, where);
}
