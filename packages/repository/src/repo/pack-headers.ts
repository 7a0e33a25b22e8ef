import { CairnError } from '@cairn/core';
import type { Backend, PackedBlob } from '@cairn/core';
import { decodePackHeader, PACK_TRAILER_LENGTH, parsePackTrailer } from '@cairn/pack';
import { packFileName } from './names.js';

/**
 * The blobs a pack's header lists, read with two range reads (trailer, then header).
 * `size` is the pack's file size. ERR_FORMAT / ERR_INTEGRITY name the pack.
 */
export async function readPackHeader(backend: Backend, hex: string, size: number): Promise<PackedBlob[]> {
  const where = packFileName(hex);
  if (size < PACK_TRAILER_LENGTH) throw new CairnError('ERR_INTEGRITY', `${where} is ${size} bytes, too short to be a pack`);
  const trailer = await backend.read('data', hex, { offset: size - PACK_TRAILER_LENGTH, length: PACK_TRAILER_LENGTH });
  const { headerOffset, headerLength } = parsePackTrailer(trailer, size, where);
  const header = await backend.read('data', hex, { offset: headerOffset, length: headerLength });
  return decodePackHeader(header, size, where);
}

/** Every pack in data/: hex id -> size. */
export async function listPacks(backend: Backend): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const file of backend.list('data')) sizes.set(file.name, file.size);
  return sizes;
}
