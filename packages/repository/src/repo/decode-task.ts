import { CairnError, codecFromCode, isCairnError, toHex, workerModule } from '@cairn/core';
import type { WorkerModule } from '@cairn/core';
import { decodeGroup } from '@cairn/pack';
import type { ZstdCodec } from '@cairn/pack';
import { unpackBlob, verifierOf } from './blob-check.js';

/** The decode worker's module (decode-worker beside this file), which restore and dump both run. */
export function decodeWorker(): WorkerModule {
  return workerModule(import.meta.url, 'decode-worker');
}

/** One read for the decode worker (a restore's or a dump's): the stored range, transferred, and its blobs. */
export interface DecodeTask {
  readonly buffer: ArrayBuffer;
  /** Per blob: offset in buffer, stored length, plaintext length, codec code. */
  readonly blobs: Uint32Array;
  /** Per blob: its 32-byte id, checked against its plaintext. */
  readonly ids: Uint8Array;
  /** The pack's file name, for messages. */
  readonly packFile: string;
  /** The MAC key of an encrypted repository's ids; absent: ids are SHA-256. */
  readonly macKey?: Uint8Array;
  /** The base plaintexts of the deltas, back to back in `buffer`; per blob `spans` holds (offset, length), -1 for a blob that is no delta. */
  readonly bases?: { readonly buffer: ArrayBuffer; readonly spans: Float64Array };
  /** Per blob: a group member's groupAt and groupRaw (0 for other blobs); absent when the read holds no group member. */
  readonly groups?: Uint32Array;
  /** Where to write the plaintexts (room for all of them from `offset`); absent: in a buffer of their own. */
  readonly output?: { readonly buffer: SharedArrayBuffer; readonly offset: number };
  /** Send `buffer` back with the result (DecodeResult.input). */
  readonly returnInput?: boolean;
}

/**
 * A DecodeTask with every field present, in one order (those not given undefined): tasks of one
 * shape keep the decode thread's decodeStep optimized, where each new combination of fields
 * the thread met made V8 compile it again.
 */
export function decodeTask(buffer: ArrayBuffer, blobs: Uint32Array, ids: Uint8Array, packFile: string, optional: Pick<DecodeTask, 'macKey' | 'bases' | 'groups' | 'output' | 'returnInput'>): DecodeTask {
  const { macKey, bases, groups, output, returnInput } = optional;
  return { buffer, blobs, ids, packFile, macKey, bases, groups, output, returnInput: returnInput === true ? true : undefined };
}

/** A blob of a DecodeTask that did not decode or did not match its id: its CairnError's parts. */
export interface DecodeFailure {
  readonly blob: number;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** The plaintexts of a DecodeTask's blobs, back to back in one buffer (a failed blob's place stays empty). */
export interface DecodeResult {
  /** The buffer they are in from its start; absent when they were written to the task's output. */
  readonly buffer?: ArrayBuffer;
  /** Per blob: where its plaintext ends in buffer (it starts where the one before ends). */
  readonly ends: Float64Array;
  readonly failures: DecodeFailure[];
  /** Group frames decompressed (once per group, for all its members in the read). */
  readonly groupsDecoded: number;
  /** The task's buffer, given back (returnInput). */
  readonly input?: ArrayBuffer;
}

/** Decodes and verifies every blob of `task` (unpackBlob, with its messages); see DecodeResult. */
export function decodeStep(task: DecodeTask, zstd: ZstdCodec): DecodeResult {
  const codecs = verifierOf(zstd, task.macKey);
  const count = task.blobs.length / 4;
  const ends = new Float64Array(count);
  let total = 0;
  for (let b = 0; b < count; b += 1) total += task.blobs[b * 4 + 2]!;
  const out = task.output === undefined ? new Uint8Array(new ArrayBuffer(total)) : new Uint8Array(task.output.buffer, task.output.offset, total);
  const input = new Uint8Array(task.buffer);
  const bases = task.bases === undefined ? undefined : new Uint8Array(task.bases.buffer);
  const failures: DecodeFailure[] = [];
  // The plaintext of each group of the read (by its frame's offset), decoded once for all its members.
  const groups = new Map<number, Uint8Array | CairnError>();
  let groupsDecoded = 0;
  let at = 0;
  for (let b = 0; b < count; b += 1) {
    const m = b * 4;
    const rawLength = task.blobs[m + 2]!;
    const id = task.ids.subarray(b * 32, b * 32 + 32);
    try {
      const codec = codecFromCode(task.blobs[m + 3]!) ?? 'none';
      const baseAt = task.bases?.spans[b * 2] ?? -1;
      const base = bases === undefined || baseAt < 0 ? undefined : bases.subarray(baseAt, baseAt + task.bases!.spans[b * 2 + 1]!);
      const stored = input.subarray(task.blobs[m]!, task.blobs[m]! + task.blobs[m + 1]!);
      const where = (): string => `data blob ${toHex(id)} in ${task.packFile}`;
      if (codec === 'group') {
        const groupAt = task.groups?.[b * 2] ?? 0;
        const groupRaw = task.groups?.[b * 2 + 1] ?? 0;
        let group = groups.get(task.blobs[m]!);
        if (group === undefined) {
          groupsDecoded += 1;
          try {
            group = decodeGroup(stored, groupRaw, zstd, '');
          } catch (error) {
            if (!isCairnError(error)) throw error;
            group = error;
          }
          groups.set(task.blobs[m]!, group);
        }
        // Each member of a group that does not decode fails by its own name.
        if (group instanceof CairnError) throw new CairnError(group.code, `${where()}${group.message}`, group.hint === undefined ? {} : { hint: group.hint });
        unpackBlob(stored, { id, codec, rawLength, groupAt, groupRaw }, codecs, where, out.subarray(at, at + rawLength), undefined, group);
      } else {
        // Decoded in its place in `out` (no buffer per blob) and checked there.
        unpackBlob(stored, { id, codec, rawLength }, codecs, where, out.subarray(at, at + rawLength), base);
      }
      at += rawLength;
    } catch (error) {
      if (!isCairnError(error)) throw error;
      failures.push({ blob: b, code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) });
    }
    ends[b] = at;
  }
  return task.output === undefined ? { buffer: out.buffer as ArrayBuffer, ends, failures, groupsDecoded } : { ends, failures, groupsDecoded };
}
