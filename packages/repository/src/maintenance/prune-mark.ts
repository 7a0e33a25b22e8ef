import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { PackedBlob } from '@cairn/core';
import { decodeGroup } from '@cairn/pack';
import { unpackBlob } from '../repo/blob-check.js';
import { readIndexFiles } from '../repo/index-files.js';
import { naming, packFileName } from '../repo/names.js';
import { listPacks } from '../repo/pack-headers.js';
import { createPackWriter } from '../write/pack-writer.js';
import type { PackWriter } from '../write/pack-writer.js';
import { addRegrouped } from '../write/regroup.js';
import type { PlainMember } from '../write/regroup.js';
import { planPrune } from './prune-plan.js';
import type { PackUsage } from './prune-plan.js';
import { writePruneRecord } from './prune-record.js';
import type { PruneProgress } from './prune-types.js';
import type { PendingPack, PruneRecord } from './prune-record.js';
import type { References } from './references.js';
import type { Repository } from '../repo/repository.js';

/** What the mark phase did (or, dry, would do). */
export interface MarkSummary {
  /** Packs marked because no snapshot uses them. */
  readonly unused: { packs: number; bytes: number };
  /** Partly used packs repacked: their used blobs copied into `newPacks`, then marked. */
  readonly repacked: { packs: number; bytes: number; newPacks: number; newBytes: number };
  /** Packs no index names, marked. */
  readonly unindexed: { packs: number; bytes: number };
  /** The deletion record written, if anything was marked (none when dry). */
  readonly record: PruneRecord | null;
}

/** Options of markGarbage. */
export interface MarkOptions {
  readonly maxUnused: number;
  /** Packs of earlier records: neither re-marked nor repacked. */
  readonly pending: ReadonlySet<string>;
  readonly dryRun: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PruneProgress) => void;
}

/**
 * The mark phase, which deletes nothing: finds packs no snapshot uses and partly used packs
 * worth repacking, copies the used blobs of the latter into new packs (verifying each
 * against its id) and indexes them, then writes one deletion record naming every pack to go.
 * Marked packs stay indexed, so a backup running now may still use their blobs; the sweep
 * deletes them later, keeping any a snapshot uses by then. `refs` must be current (just
 * updated): packs indexed after it read the index belong to backups running now and are
 * left alone.
 */
export async function markGarbage(repo: Repository, refs: References, options: MarkOptions): Promise<MarkSummary> {
  const { backend } = repo;
  const packs = new Map<string, PackedBlob[]>();
  const known = new Set<string>(); // packs of the index files `refs` was computed with
  const loaded = new Set(repo.indexFiles);
  const { problems } = await readIndexFiles(backend, (name, list) => {
    for (const pack of list) {
      const hex = toHex(pack.id);
      if (!packs.has(hex)) packs.set(hex, pack.blobs);
      if (loaded.has(name)) known.add(hex);
    }
  });
  const problem = problems[0];
  if (problem !== undefined) {
    throw new CairnError('ERR_INTEGRITY', `${naming(problem.file, problem.error.message)}: prune needs a readable index`, {
      hint: 'nothing was deleted; rebuild the index with `cairn repair index`',
    });
  }
  const sizes = await listPacks(backend);
  const fresh = new Set([...packs.keys()].filter((hex) => !known.has(hex)));
  const plan = planPrune({ packs, sizes, referenced: refs.blobs, pending: options.pending, fresh, maxUnused: options.maxUnused });
  if (plan.missingPacks.length > 0) {
    throw new CairnError('ERR_INTEGRITY', `${plan.missingPacks.length} pack(s) the index names are missing, such as ${packFileName(plan.missingPacks[0] ?? '')}: prune stops`, {
      hint: 'nothing was deleted; run `cairn repair index`, then `cairn repair snapshots` for snapshots that lost data',
    });
  }
  if (plan.missingBlobs.length > 0) {
    throw new CairnError('ERR_INTEGRITY', `${plan.missingBlobs.length} blob(s) that snapshots use are in no pack, such as ${plan.missingBlobs[0]}: prune stops`, {
      hint: 'nothing was deleted; run `cairn check`, then `cairn repair index` or `cairn repair snapshots`',
    });
  }
  const bytes = (list: readonly { size: number }[]): number => list.reduce((sum, p) => sum + p.size, 0);
  let newPacks = 0;
  let newBytes = 0;
  // A pack is named by its content: a prune killed while repacking may have left (unindexed,
  // or indexed but not yet recorded) the very pack this repack writes again. Marking it
  // would doom the copies just made, so what this run writes is never marked.
  const rewritten = new Set<string>();
  if (!options.dryRun && plan.repack.length > 0) {
    const writer = createPackWriter(backend, { packSize: repo.config.packSize, onPack: (pack) => rewritten.add(toHex(pack.id)) });
    for (const [i, usage] of plan.repack.entries()) {
      options.onProgress?.({ phase: 'repack', done: i, total: plan.repack.length });
      await copyUsedBlobs(repo, usage, writer, options.signal);
    }
    options.onProgress?.({ phase: 'repack', done: plan.repack.length, total: plan.repack.length });
    await writer.finish();
    newPacks = writer.packsWritten;
    newBytes = writer.bytesWritten;
  }
  const keep = <T extends { id: string }>(list: readonly T[]): T[] => list.filter((pack) => !rewritten.has(pack.id));
  const unused = keep(plan.unused);
  const repacked = keep(plan.repack);
  const unindexed = keep(plan.unindexed);
  const marked: PendingPack[] = [
    ...unused.map((u) => ({ id: u.id, size: u.size, reason: 'unused' as const })),
    ...repacked.map((u) => ({ id: u.id, size: u.size, reason: 'repacked' as const })),
    ...unindexed.map((u) => ({ id: u.id, size: u.size, reason: 'unindexed' as const })),
  ];
  const record = options.dryRun || marked.length === 0 ? null : await writePruneRecord(backend, marked);
  return {
    unused: { packs: unused.length, bytes: bytes(unused) },
    repacked: { packs: repacked.length, bytes: bytes(repacked), newPacks, newBytes },
    unindexed: { packs: unindexed.length, bytes: bytes(unindexed) },
    record,
  };
}

/**
 * Reads a pack whole and hands each used blob, checked against its id, to `writer` (as stored: no
 * recompression). The live members of a group are checked against their ids in the group's
 * plaintext (decoded once) and stored as a new group of them alone (write/regroup.ts).
 */
async function copyUsedBlobs(repo: Repository, usage: PackUsage, writer: PackWriter, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'prune stopped while repacking; nothing was deleted');
  const where = packFileName(usage.id);
  const bytes = await repo.backend.read('data', usage.id);
  const damaged = (error: unknown): Error => {
    if (!isCairnError(error, 'ERR_INTEGRITY')) return error as Error;
    return new CairnError('ERR_INTEGRITY', `${error.message}; prune stops`, {
      hint: 'nothing was deleted; run `cairn check --read-data` to see the damage',
      cause: error,
    });
  };
  // The live members of each group (by frame offset), in pack order.
  const groups = new Map<number, PackedBlob[]>();
  for (const blob of usage.used) {
    if (blob.codec === 'group') {
      const members = groups.get(blob.offset);
      if (members === undefined) groups.set(blob.offset, [blob]);
      else members.push(blob);
      continue;
    }
    const blobWhere = `${blob.type} blob ${toHex(blob.id)} in ${where}`;
    const stored = bytes.slice(blob.offset, blob.offset + blob.length);
    try {
      // A delta is checked through its base (which the snapshots reference too, so it is kept) and copied as a delta.
      const base = blob.base === undefined ? undefined : await repo.loadBlob(blob.base, 'data');
      unpackBlob(stored, blob, repo, blobWhere, undefined, base);
    } catch (error) {
      throw damaged(error);
    }
    await writer.add(blob.id, blob.type, { codec: blob.codec, data: stored, rawLength: blob.rawLength, ...(blob.base === undefined ? {} : { base: blob.base }) });
  }
  for (const [offset, members] of groups) {
    const first = members[0]!;
    const stored = bytes.subarray(offset, offset + first.length);
    const live: PlainMember[] = [];
    try {
      const group = decodeGroup(stored, first.groupRaw ?? 0, repo.zstd, `data blob ${toHex(first.id)} in ${where}`);
      for (const blob of members) live.push({ id: blob.id, plain: unpackBlob(stored, blob, repo, `data blob ${toHex(blob.id)} in ${where}`, undefined, undefined, group) });
    } catch (error) {
      throw damaged(error);
    }
    await addRegrouped(writer, live, repo.zstd, repo.config.compression.level);
  }
}
