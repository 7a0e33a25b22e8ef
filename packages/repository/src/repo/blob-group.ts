import { CairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { decodeGroup } from '@cairn/pack';
import type { ZstdCodec } from '@cairn/pack';

/**
 * Grouped small blobs (docs/FORMAT.md, "Grouped small blobs"): several small data blobs share one
 * zstd frame in a pack, and each member's index entry names that frame (offset, length) and its
 * place in the frame's plaintext (groupAt, rawLength of groupRaw). Reading a member decompresses
 * its whole group; these helpers decode a group once for all the members read together.
 */

/** Where a group member is: enough to find, decode and cut out its group. */
export interface GroupedLocation {
  readonly packId: Id;
  readonly offset: number;
  readonly length: number;
  readonly rawLength: number;
  readonly groupAt?: number;
  readonly groupRaw?: number;
}

/** A member's bytes in its group's plaintext (a view); ERR_INTEGRITY naming `where` when the group is too short. */
export function memberBytes(group: Uint8Array, location: Pick<GroupedLocation, 'groupAt' | 'rawLength'>, where: string | (() => string)): Uint8Array {
  const at = location.groupAt ?? 0;
  if (at + location.rawLength > group.length) {
    throw new CairnError('ERR_INTEGRITY', `${typeof where === 'string' ? where : where()}: its group holds ${group.length} bytes, not the ${at + location.rawLength} its place needs`);
  }
  return group.subarray(at, at + location.rawLength);
}

/** The key of a group: its pack and frame offset. */
export function groupKey(packId: Id, offset: number): string {
  return `${toHex(packId)}:${offset}`;
}

/**
 * The last few groups decoded (their plaintexts, up to `budget` bytes): a member read after its
 * neighbour (loadBlob of the files of one folder) decodes its group once, not once per member.
 */
export interface GroupCache {
  /** The plaintext of the group of `location`, decoding `stored()` (its frame) when it is not held; ERR_INTEGRITY naming `where` when it does not decode. */
  plain(location: GroupedLocation, stored: () => Promise<Uint8Array>, where: string): Promise<Uint8Array>;
  /** Groups decoded so far (each decompression counts). */
  readonly decoded: number;
}

/** Creates a GroupCache of up to `budget` bytes of group plaintext (default 2 MiB: eight 256 KiB groups). */
export function createGroupCache(zstd: ZstdCodec, budget = 2 * 1024 * 1024): GroupCache {
  const held = new Map<string, Promise<Uint8Array>>();
  const sizes = new Map<string, number>();
  let total = 0;
  let decoded = 0;
  return {
    plain(location, stored, where) {
      const key = groupKey(location.packId, location.offset);
      const found = held.get(key);
      if (found !== undefined) {
        // Most recently used last.
        held.delete(key);
        held.set(key, found);
        return found;
      }
      const groupRaw = location.groupRaw ?? 0;
      const plain = stored().then((frame) => {
        decoded += 1;
        return decodeGroup(frame, groupRaw, zstd, where);
      });
      held.set(key, plain);
      plain.then(
        () => {
          if (held.get(key) !== plain) return;
          sizes.set(key, groupRaw);
          total += groupRaw;
          for (const [oldest, size] of sizes) {
            if (total <= budget || oldest === key) break;
            held.delete(oldest);
            sizes.delete(oldest);
            total -= size;
          }
        },
        () => held.delete(key), // damage or a failed read is not kept: the next read tries again
      );
      return plain;
    },
    get decoded() {
      return decoded;
    },
  };
}

/**
 * The stored bytes a blob accounts for: its own, or for a group member its share of its group's
 * frame (by plaintext), so the members of a group add up to the frame once (prune's plan, the
 * size limit's estimates, stats). A group with a dead member is kept whole while any member lives.
 */
export function storedShare(blob: { readonly codec: string; readonly length: number; readonly rawLength: number; readonly groupRaw?: number }): number {
  if (blob.codec !== 'group' || (blob.groupRaw ?? 0) === 0) return blob.length;
  return (blob.length * blob.rawLength) / blob.groupRaw!;
}
