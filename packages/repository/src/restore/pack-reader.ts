import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { decodeGroup } from '@cairn/pack';
import { unpackBlob } from '../repo/blob-check.js';
import { packFileName } from '../repo/names.js';
import { baseFailure } from '../repo/delta-chain.js';
import type { Repository } from '../repo/repository.js';

/** What reading a pack's blobs needs: the files, the codec, and the checked loader for a blob read alone. */
export type PackReading = Pick<Repository, 'backend' | 'zstd' | 'loadBlob'>;
import type { NeededBlobs } from './needed-blobs.js';
import type { ReadStep, StepData } from './read-steps.js';
import type { StepDecoder } from './step-decoder.js';

export type { StepData } from './read-steps.js';

/**
 * Reads a step's byte range of its pack with one backend read, then decodes each blob and
 * checks it against its id, as Repository.loadBlob does (and with its messages), in the
 * `decoder`'s worker threads when there is one. A blob
 * that fails is returned as its CairnError. When the read itself fails with damage (a
 * missing or truncated pack), each blob is read on its own so that only the damaged ones
 * fail. A transient error, or any error that is not a CairnError, is thrown.
 */
export async function readStep(repo: PackReading, blobs: NeededBlobs, step: ReadStep, decoder?: StepDecoder): Promise<StepData> {
  const data: StepData = new Map();
  blobs.bases.readFrom(repo);
  let bytes: Uint8Array;
  // A decoder's buffer to read into (its reads are reused, see StepDecoder.readBuffer); a backend may ignore it.
  const into = decoder?.readBuffer(step.length);
  try {
    bytes = await repo.backend.read('data', toHex(step.packId), { offset: step.offset, length: step.length }, into === undefined ? undefined : { into });
  } catch (error) {
    if (into !== undefined) decoder!.giveBack(into);
    if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
    for (const b of step.blobs) data.set(b, await loadEach(repo, blobs, b));
    return data;
  }
  if (into !== undefined && bytes.buffer !== into.buffer) decoder!.giveBack(into);
  // A delta's base is read (once for all its deltas) before its step is decoded.
  const bases = await stepBases(blobs, step);
  if (decoder !== undefined) return decoder.decode(bytes, step, blobs, bases);
  const packFile = packFileName(step.packId);
  // The plaintext of each group of the step (by offset), decoded once for all its members.
  const groups = new Map<number, Uint8Array | CairnError>();
  for (const b of step.blobs) {
    const id = blobs.id(b);
    const where = `data blob ${toHex(id)} in ${packFile}`;
    const start = blobs.offset(b) - step.offset;
    try {
      const base = bases.get(b);
      if (base instanceof CairnError) throw base;
      const stored = bytes.subarray(start, start + blobs.length(b));
      const codec = blobs.codec(b);
      let plainGroup: Uint8Array | undefined;
      if (codec === 'group') {
        let group = groups.get(start);
        if (group === undefined) {
          blobs.groupsDecoded += 1;
          try {
            group = decodeGroup(stored, blobs.groupRaw(b), repo.zstd, '');
          } catch (error) {
            if (!isCairnError(error)) throw error;
            group = error;
          }
          groups.set(start, group);
        }
        if (group instanceof CairnError) throw new CairnError(group.code, `${where}${group.message}`, group.hint === undefined ? {} : { hint: group.hint });
        plainGroup = group;
      }
      data.set(b, unpackBlob(stored, { id, codec, rawLength: blobs.rawLength(b), groupAt: blobs.groupAt(b), groupRaw: blobs.groupRaw(b) }, repo, where, undefined, base, plainGroup));
    } catch (error) {
      if (!isCairnError(error)) throw error;
      data.set(b, error);
    }
  }
  return data;
}

/**
 * The base plaintexts of the deltas of `step` (blob number → plaintext), or, for a delta whose
 * base cannot be read, the error naming the delta and its base. A transient error is thrown.
 */
export async function stepBases(blobs: NeededBlobs, step: ReadStep): Promise<Map<number, Uint8Array | CairnError>> {
  const bases = new Map<number, Uint8Array | CairnError>();
  for (const b of step.blobs) {
    const base = blobs.base(b);
    if (base === undefined) continue;
    try {
      bases.set(b, await blobs.bases.take(base));
    } catch (error) {
      if (!isCairnError(error) || error.code === 'ERR_TRANSIENT' || error.code === 'ERR_ABORTED') throw error;
      bases.set(b, baseFailure(`data blob ${toHex(blobs.id(b))} in ${packFileName(step.packId)}`, base, error));
    }
  }
  return bases;
}

/** One blob read alone: its plaintext, or the damage loadBlob names. */
async function loadEach(repo: PackReading, blobs: NeededBlobs, b: number): Promise<Uint8Array | CairnError> {
  const id: Id = blobs.id(b);
  try {
    return await repo.loadBlob(id, 'data', { base: (base) => blobs.bases.take(base) });
  } catch (error) {
    if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
    return error;
  }
}
