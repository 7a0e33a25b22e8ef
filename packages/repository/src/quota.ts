import { CairnError } from '@cairn/core';
import type { Backend, FileType } from '@cairn/core';
import { forget } from './forget.js';
import { prune } from './prune.js';
import { describeMaxSize, humanBytes, policyFromConfig } from './quota-settings.js';
import { applyPolicy, describePolicy, groupSnapshots, isEmptyPolicy } from './retention.js';
import type { RetentionPolicy } from './retention.js';
import { listSnapshots } from './snapshots.js';
import type { SnapshotEntry } from './snapshots.js';
import type { Repository } from './repository.js';

/** Options of enforceQuota. */
export interface QuotaOptions {
  /** Bytes about to be added (a backup's estimate); the repository must have room for them too. Default 0. */
  readonly incoming?: number;
  /** Snapshot ids never forgotten (the backup that just ended). */
  readonly keep?: readonly string[];
  /** Calendar of the policy's buckets (default local time). */
  readonly timeZone?: 'local' | 'utc';
  readonly now?: Date;
}

/** What enforceQuota found and did. */
export interface QuotaResult {
  /** The limit in bytes, or null when the repository has none. */
  readonly limit: number | null;
  readonly sizeBefore: number;
  readonly sizeAfter: number;
  /** Snapshots forgotten to make room, oldest first. */
  readonly forgotten: string[];
  /** Bytes the prunes it ran deleted. */
  readonly freed: number;
}

const COUNTED: readonly FileType[] = ['data', 'index', 'snapshot', 'lock'];

/** Bytes the repository's files take (packs, index files, snapshots, locks). */
export async function repositorySize(backend: Backend): Promise<number> {
  let total = 0;
  for (const type of COUNTED) for await (const file of backend.list(type)) total += file.size;
  return total;
}

/** The repository's size limit in bytes (a percentage resolved against its filesystem), or null when it has none. */
export async function quotaLimit(repo: Pick<Repository, 'backend' | 'config'>): Promise<number | null> {
  const maxSize = repo.config.maxSize;
  if (maxSize === undefined) return null;
  if ('bytes' in maxSize) return maxSize.bytes;
  if (repo.backend.space === undefined) {
    throw new CairnError('ERR_UNSUPPORTED', `the size limit of ${repo.backend.location} is ${maxSize.percent}% of its filesystem, but its backend cannot tell the filesystem's size`, {
      hint: 'set the limit in bytes instead: `cairn config max-size 500G`',
    });
  }
  return Math.floor(((await repo.backend.space()).total * maxSize.percent) / 100);
}

/**
 * Keeps the repository under its `maxSize` (nothing to do without one): when its size plus
 * `incoming` is over the limit, it prunes what no snapshot uses, then forgets the snapshots its
 * stored retention policy does not keep, oldest first, one at a time, pruning after each, until
 * there is room. It never forgets the newest snapshot of a host and paths group, nor one of
 * `keep`. When the policy allows no more (or there is none, or running backups keep the prune
 * from deleting), it throws ERR_NO_SPACE naming the repository, its size and limit; snapshots
 * the policy let go stay forgotten. Prunes run with grace 0 and repack every partly used pack.
 */
export async function enforceQuota(repo: Repository, options: QuotaOptions = {}): Promise<QuotaResult> {
  const incoming = options.incoming ?? 0;
  const limit = await quotaLimit(repo);
  if (limit === null) return { limit, sizeBefore: 0, sizeAfter: 0, forgotten: [], freed: 0 };
  const sizeBefore = await repositorySize(repo.backend);
  let size = sizeBefore;
  const forgotten: string[] = [];
  let freed = 0;
  if (size + incoming <= limit) return { limit, sizeBefore, sizeAfter: size, forgotten, freed };

  const stored = repo.config.retention;
  const policy = stored === undefined ? undefined : policyFromConfig(stored);
  let waitingFor: string[] = [];
  const reclaim = async (): Promise<void> => {
    const result = await prune(repo, { graceMs: 0, maxUnused: 0 });
    freed += result.deleted.bytes;
    waitingFor = result.pending.waitingFor;
    size = await repositorySize(repo.backend);
  };
  await reclaim();
  const candidates = size + incoming > limit && policy !== undefined ? await removable(repo, policy, options) : [];
  while (size + incoming > limit && waitingFor.length === 0) {
    const next = candidates.shift();
    if (next === undefined) break;
    await forget(repo, { snapshots: [next.id] });
    forgotten.push(next.id);
    await reclaim();
  }
  if (size + incoming <= limit) return { limit, sizeBefore, sizeAfter: size, forgotten, freed };

  const need = incoming > 0 ? ` plus about ${humanBytes(incoming)} this backup adds` : '';
  const why = waitingFor.length > 0
    ? `data it could free waits for running backups (${waitingFor.join('; ')})`
    : policy === undefined ? 'it has no retention policy saying which snapshots may go'
    : `its retention policy (${describePolicy(policy)}) lets no more snapshots go`;
  throw new CairnError('ERR_NO_SPACE', `repository ${repo.backend.location} holds ${humanBytes(size)}${need}, over its size limit of ${describeMaxSize(repo.config.maxSize ?? { bytes: limit })}, and ${why}${forgotten.length > 0 ? ` (forgot ${forgotten.length} snapshot(s) it allows to go)` : ''}`, {
    hint: 'raise the limit (`cairn config max-size`), store a policy that keeps less (`cairn config retention --keep-…`), or forget snapshots by hand',
  });
}

/** Snapshots the policy does not keep, never the newest of a group nor one of `keep`, oldest first. */
async function removable(repo: Repository, policy: RetentionPolicy, options: QuotaOptions): Promise<SnapshotEntry[]> {
  if (isEmptyPolicy(policy)) return [];
  const keep = new Set(options.keep ?? []);
  const { snapshots } = await listSnapshots(repo);
  const out: SnapshotEntry[] = [];
  for (const group of groupSnapshots(snapshots, ['host', 'paths'])) {
    const newest = group.entries[group.entries.length - 1];
    const { remove } = applyPolicy(group.entries, policy, {
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    out.push(...remove.filter((entry) => entry !== newest && !keep.has(entry.id)));
  }
  return out.sort((a, b) => (a.snapshot.time < b.snapshot.time ? -1 : a.snapshot.time > b.snapshot.time ? 1 : a.id.localeCompare(b.id)));
}
