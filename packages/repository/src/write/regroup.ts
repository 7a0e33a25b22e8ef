import type { Id } from '@cairn/core';
import { encodeBlob, encodeGroupInto } from '@cairn/pack';
import type { ZstdCodec } from '@cairn/pack';
import type { PackWriter } from './pack-writer.js';

/** A blob to store again: its id and plaintext. */
export interface PlainMember {
  readonly id: Id;
  readonly plain: Uint8Array;
}

/**
 * Stores `members` (small data blobs, plaintexts checked by the caller) through `packs` as one new
 * group: one zstd frame at `level` of their plaintexts back to back, when there are two or more
 * and it compresses; otherwise each blob alone, as a backup would store it. Prune's repack
 * rewrites the live members of a group this way (the dead ones are left out).
 */
export async function addRegrouped(packs: PackWriter, members: readonly PlainMember[], zstd: ZstdCodec, level: number): Promise<void> {
  if (members.length >= 2) {
    const groupRaw = members.reduce((sum, member) => sum + member.plain.length, 0);
    const raw = new Uint8Array(groupRaw);
    const places: { id: Id; at: number; rawLength: number }[] = [];
    let at = 0;
    for (const { id, plain } of members) {
      raw.set(plain, at);
      places.push({ id, at, rawLength: plain.length });
      at += plain.length;
    }
    const destination = new Uint8Array(zstd.compressBound?.(groupRaw) ?? groupRaw + 1024);
    const frame = encodeGroupInto(raw, zstd, level, destination);
    if (frame >= 0) {
      await packs.addGroup(destination.subarray(0, frame), groupRaw, places);
      return;
    }
  }
  for (const { id, plain } of members) await packs.add(id, 'data', encodeBlob(plain, zstd, level, { probe: true }));
}
