import type { Backend, PackedBlob } from '@cairn/core';
import { decodePack } from '@cairn/pack';
import { checkContentName } from '../repo/blob-check.js';

/**
 * Checks a pack file taken as it is from another repository (a copy), before it is written under
 * its name: its bytes hash to `name` with this repository's ids (ERR_INTEGRITY naming `where`
 * otherwise: damage is refused, never copied), its trailer and header decode as a reader decodes
 * them (ERR_FORMAT, ERR_VERSION naming `where`), and its header lists exactly `entries`, the
 * index entries the repository is to take for it. False when the header lists other blobs or
 * places them otherwise (a pack that also holds a copy of a blob indexed in another pack): the
 * pack is sound but not taken as it is.
 */
export function checkAdoptedPack(backend: Backend, name: string, bytes: Uint8Array, entries: readonly PackedBlob[], where: string): boolean {
  checkContentName(backend, bytes, name, where);
  const listed = decodePack(bytes, where);
  if (listed.length !== entries.length) return false;
  const ordered = [...entries].sort(byPlace);
  listed.sort(byPlace);
  return listed.every((blob, i) => sameEntry(blob, ordered[i]!));
}

/** Pack order: by offset, then by id (entries that share a stored range, should a format have them, in one order). */
function byPlace(a: PackedBlob, b: PackedBlob): number {
  return a.offset - b.offset || Buffer.compare(a.id, b.id);
}

/**
 * True when two entries agree on every field either has (ids and base ids byte for byte): a
 * field a later format adds to an entry is compared as well, never dropped.
 */
function sameEntry(a: PackedBlob, b: PackedBlob): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  // A field set to undefined is a field the entry does not have (packedBlob sets every field).
  let keys = 0;
  for (const key in x) {
    const u = x[key];
    if (u === undefined) continue;
    keys += 1;
    const v = y[key];
    if (u instanceof Uint8Array && v instanceof Uint8Array) {
      if (Buffer.compare(u, v) !== 0) return false;
    } else if (u !== v) {
      return false;
    }
  }
  for (const key in y) if (y[key] !== undefined) keys -= 1;
  return keys === 0;
}
