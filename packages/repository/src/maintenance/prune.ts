import { CairnError } from '@cairn/core';
import type { LockKind, LockTimings } from '../locks/lock-files.js';
import { acquireExclusiveLock } from '../locks/locks.js';
import { markGarbage } from './prune-mark.js';
import type { MarkSummary } from './prune-mark.js';
import { readPruneRecords } from './prune-record.js';
import type { PruneProgress } from './prune-types.js';
import { sweepRecords } from './prune-sweep.js';
import type { SweepSummary } from './prune-sweep.js';
import { createReferences } from './references.js';
import type { Repository } from '../repo/repository.js';

/** How long marked packs wait before a prune may delete them, by default. */
export const DEFAULT_GRACE_MS = 60 * 60 * 1000;
/** The share of the repository that may stay unused (in partly used packs) by default. */
export const DEFAULT_MAX_UNUSED = 0.1;

/** Options of prune(). */
export interface PruneOptions {
  /** Share of the repository that may stay unused in partly used packs, in [0, 1]; 1 never repacks (default 0.1). */
  readonly maxUnused?: number;
  /** How old a deletion record must be before its packs are deleted, in ms (default one hour; 0: this very run). */
  readonly graceMs?: number;
  /** Decide and report, write nothing. */
  readonly dryRun?: boolean;
  /**
   * Stops the prune with ERR_ABORTED where stopping leaves nothing to clean up: while it reads
   * the snapshots, between the packs it repacks, and before each sweep (which deletes).
   */
  readonly signal?: AbortSignal;
  /** Lock timings (tests shorten them). */
  readonly lockTimings?: Partial<Record<LockKind, Partial<LockTimings>>>;
  /** Called as each pack is repacked or deleted. */
  readonly onProgress?: (progress: PruneProgress) => void;
}

/** What prune() did. */
export interface PruneResult {
  readonly dryRun: boolean;
  /** Packs deleted (records past their grace period, swept with no backup running) and bytes freed. */
  readonly deleted: { readonly packs: number; readonly bytes: number };
  /** Marked packs kept after all: a snapshot uses them now. */
  readonly keptAgain: number;
  readonly indexFilesRewritten: number;
  /** What this run marked (and repacked). */
  readonly marked: Omit<MarkSummary, 'record'>;
  /** Marked packs still waiting for a later prune. */
  readonly pending: {
    readonly records: number;
    readonly packs: number;
    readonly bytes: number;
    /** When the oldest pending record passes its grace period (ms since 1970), or null. */
    readonly dueAt: number | null;
    /** Live leases (running backups) that kept the sweep from running, as sentences. */
    readonly waitingFor: string[];
  };
  /** Things worth knowing that are not failures (damaged records removed, …). */
  readonly notes: string[];
}

/**
 * Removes data no snapshot uses, safely while other processes back up. Under the exclusive
 * lock it (1) sweeps deletion records older than the grace period, if no backup holds a
 * live lease, (2) marks: repacks partly used packs and records the packs to delete, without
 * deleting them, and (3) with a grace of 0, sweeps that record too. docs/FORMAT.md
 * ("Locks and prune") gives the protocol and why it is safe.
 */
export async function prune(repo: Repository, options: PruneOptions = {}): Promise<PruneResult> {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const maxUnused = options.maxUnused ?? DEFAULT_MAX_UNUSED;
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) throw new RangeError(`grace must be a time of 0 or more, not ${graceMs}`);
  if (!(maxUnused >= 0 && maxUnused <= 1)) throw new RangeError(`maxUnused must be a share between 0 and 1, not ${maxUnused}`);
  const dryRun = options.dryRun === true;
  const timings = options.lockTimings ?? {};
  const lock = dryRun ? null : await acquireExclusiveLock(repo.backend, 'prune', timings.exclusive === undefined ? {} : { timings: timings.exclusive });
  const notes: string[] = [];
  let deleted = { packs: 0, bytes: 0 };
  let keptAgain = 0;
  let indexFilesRewritten = 0;
  let waitingFor: string[] = [];
  const add = (sweep: SweepSummary): void => {
    deleted = { packs: deleted.packs + sweep.deleted.packs, bytes: deleted.bytes + sweep.deleted.bytes };
    keptAgain += sweep.kept;
    indexFilesRewritten += sweep.indexFilesRewritten;
    if (sweep.deferredBy.length > 0) waitingFor = sweep.deferredBy;
  };
  const onProgress = options.onProgress;
  const sweepOptions = { dryRun, ...(timings.sweep === undefined ? {} : { markerTimings: timings.sweep }), ...(onProgress === undefined ? {} : { onProgress }) };
  const stopIfAborted = (what: string): void => {
    if (options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', `prune interrupted ${what}`);
  };
  let marked: MarkSummary;
  try {
    const refs = createReferences(repo, options.signal);
    await refs.update();
    const { records, damaged } = await readPruneRecords(repo.backend);
    for (const name of damaged) {
      notes.push(`locks/${name} is a damaged deletion record${dryRun ? '' : ' and was removed'} (its packs stay until a later prune marks them again)`);
      if (!dryRun) await repo.backend.remove('lock', name);
    }
    const now = Date.now();
    const due = records.filter((record) => now - record.created >= graceMs);
    stopIfAborted('before deleting anything');
    const first = await sweepRecords(repo, refs, due, sweepOptions);
    add(first);
    const swept = first.records > 0 && !dryRun ? new Set(due.map((r) => r.name)) : new Set<string>();
    const remaining = records.filter((record) => !swept.has(record.name));
    await refs.update();
    marked = await markGarbage(repo, refs, {
      maxUnused,
      pending: new Set(remaining.flatMap((record) => record.packs.map((pack) => pack.id))),
      dryRun,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(onProgress === undefined ? {} : { onProgress }),
    });
    if (graceMs === 0 && marked.record !== null && waitingFor.length === 0) {
      stopIfAborted('after marking; what it marked is deleted by a later prune');
      add(await sweepRecords(repo, refs, [marked.record], sweepOptions));
    }
  } finally {
    await lock?.release();
  }
  if (!dryRun) await repo.reloadIndex();
  const { records: left } = await readPruneRecords(repo.backend);
  const pendingPacks = left.flatMap((record) => record.packs);
  const oldest = left[0];
  return {
    dryRun,
    deleted,
    keptAgain,
    indexFilesRewritten,
    marked: { unused: marked.unused, repacked: marked.repacked, unindexed: marked.unindexed },
    pending: {
      records: left.length,
      packs: pendingPacks.length,
      bytes: pendingPacks.reduce((sum, pack) => sum + pack.size, 0),
      dueAt: oldest === undefined ? null : oldest.created + graceMs,
      waitingFor,
    },
    notes,
  };
}

/** Parses --max-unused: "N%" (0 to 100) or "unlimited", as a share in [0, 1]. */
export function parseMaxUnused(text: string): number {
  if (text === 'unlimited') return 1;
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const percent = match === null ? Number.NaN : Number(match[1]);
  if (!(percent >= 0 && percent <= 100)) throw new RangeError(`--max-unused wants a percentage from 0% to 100%, or "unlimited", not ${JSON.stringify(text)}`);
  return percent / 100;
}
