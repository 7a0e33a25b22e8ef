import { CairnError, formatBytes, fromHex } from '@cairn/core';
import type { Backend, FileType } from '@cairn/core';
import type { Snapshot } from '@cairn/index';
import { forget } from './forget.js';
import { prune } from './prune.js';
import { describeMaxSize, policyFromConfig } from './quota-settings.js';
import { applyPolicy, describePolicy, groupSnapshots, isEmptyPolicy } from './retention.js';
import type { RetentionPolicy } from './retention.js';
import { collectBlobs } from '../tree/reachability.js';
import { storedShare } from '../repo/blob-group.js';
import { listSnapshots } from '../repo/snapshots.js';
import type { SnapshotEntry } from '../repo/snapshots.js';
import type { Repository, RepositoryFiles } from '../repo/repository.js';

/** Options of enforceQuota. */
export interface QuotaOptions {
  /** Bytes about to be added (a backup's estimate); the repository must have room for them too. Default 0. */
  readonly incoming?: number;
  /** Snapshot ids never forgotten (the backup that just ended). */
  readonly keep?: readonly string[];
  /**
   * A backup about to run: the policy judges the snapshots as if it already were the newest of its
   * group, and enforceQuota only checks that forgetting what the policy then lets go would make
   * room: it forgets nothing (snapshots go once the new one is saved, never before).
   */
  readonly coming?: Pick<Snapshot, 'hostname' | 'paths' | 'tags' | 'meta'>;
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
  /**
   * Set when the repository is still over its limit after forgetting what the estimate said was
   * enough (the estimate was short): the new snapshot is kept all the same, and this says so.
   */
  readonly warning?: string;
}

const COUNTED: readonly FileType[] = ['data', 'index', 'snapshot', 'lock'];
/** What a blob costs besides its stored bytes (its entries in a pack header and an index file), for estimates. */
const BLOB_OVERHEAD = 100;

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
 * Keeps the repository under its `maxSize` (nothing to do without one). When its size plus
 * `incoming` is over the limit, it prunes what no snapshot uses; when that is not enough, it
 * estimates (through what each snapshot references alone) how many of the snapshots its stored
 * retention policy lets go, oldest first, must go to make room. It forgets them only when that
 * is enough: otherwise it throws ERR_NO_SPACE (naming the repository, its size and limit, and
 * why) having forgotten nothing. It never forgets the newest snapshot of a group nor one of
 * `keep`; with `coming` it forgets nothing at all (see QuotaOptions). Prunes run with grace 0
 * and repack every partly used pack.
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

  let waitingFor: string[] = [];
  const reclaim = async (): Promise<void> => {
    const result = await prune(repo, { graceMs: 0, maxUnused: 0 });
    freed += result.deleted.bytes;
    waitingFor = result.pending.waitingFor;
    size = await repositorySize(repo.backend);
  };
  await reclaim();
  if (size + incoming <= limit) return { limit, sizeBefore, sizeAfter: size, forgotten, freed };

  const stored = repo.config.retention;
  const policy = stored === undefined ? undefined : policyFromConfig(stored);
  const candidates = policy === undefined || waitingFor.length > 0 ? [] : await removable(repo, policy, options);
  const plan = await planForgets(repo, candidates, size + incoming - limit);
  if (plan.chosen === null) {
    const need = incoming > 0 ? ` plus about ${formatBytes(incoming, { decimals: 1 })} this backup adds` : '';
    const why = waitingFor.length > 0
      ? `data it could free waits for running backups (${waitingFor.join('; ')})`
      : policy === undefined ? 'it has no retention policy saying which snapshots may go'
      : candidates.length === 0 ? `its retention policy (${describePolicy(policy)}) lets no more snapshots go`
      : `forgetting all ${candidates.length} snapshot(s) its retention policy (${describePolicy(policy)}) lets go would free only about ${formatBytes(plan.freed, { decimals: 1 })}; none was forgotten`;
    throw new CairnError('ERR_NO_SPACE', `repository ${repo.backend.location} holds ${formatBytes(size, { decimals: 1 })}${need}, over its size limit of ${describeMaxSize(repo.config.maxSize ?? { bytes: limit })}, and ${why}`, {
      hint: 'raise the limit (`cairn config max-size`), store a policy that keeps less (`cairn config retention --keep-…`), or forget snapshots by hand',
    });
  }
  if (options.coming !== undefined) return { limit, sizeBefore, sizeAfter: size, forgotten, freed };

  // Forget what the estimate says is enough, then (should it fall short) the next ones the policy lets go.
  const queue = [...candidates];
  let batch = queue.splice(0, plan.chosen.length);
  while (batch.length > 0 && waitingFor.length === 0) {
    await forget(repo, { snapshots: batch.map((entry) => entry.id) });
    forgotten.push(...batch.map((entry) => entry.id));
    await reclaim();
    if (size + incoming <= limit) break;
    batch = queue.splice(0, 1);
  }
  const over = size + incoming - limit;
  return {
    limit,
    sizeBefore,
    sizeAfter: size,
    forgotten,
    freed,
    ...(over <= 0 ? {} : { warning: `repository ${repo.backend.location} is still ${formatBytes(over, { decimals: 1 })} over its size limit after forgetting ${forgotten.length} snapshot(s) (the estimate of what they held was short); the newest snapshots were kept` }),
  };
}

/**
 * The shortest run of `candidates` (oldest first) whose forgetting frees at least `need` bytes,
 * by estimate: the stored bytes of the blobs that they reference and no other snapshot does
 * (reachability.ts). null when even all of them free less; `freed` is what all of them free.
 */
async function planForgets(repo: Pick<Repository, 'backend' | 'loadTree' | 'index'>, candidates: readonly SnapshotEntry[], need: number): Promise<{ chosen: SnapshotEntry[] | null; freed: number }> {
  if (candidates.length === 0) return { chosen: null, freed: 0 };
  const going = new Set(candidates.map((entry) => entry.id));
  const { snapshots } = await listSnapshots(repo);
  const seen = new Set<string>();
  const kept = new Set<string>();
  await collectBlobs(repo, snapshots.filter((entry) => !going.has(entry.id)), kept, { seen });
  let freed = 0;
  for (const [i, candidate] of candidates.entries()) {
    const blobs = new Set<string>();
    // Trees in `seen` were counted already: kept (their blobs stay) or freed by an earlier candidate.
    await collectBlobs(repo, [candidate], blobs, { seen });
    for (const hex of blobs) {
      if (kept.has(hex)) continue;
      const location = repo.index.lookup(fromHex(hex));
      freed += (location === undefined ? 0 : storedShare(location)) + BLOB_OVERHEAD;
    }
    if (freed >= need) return { chosen: candidates.slice(0, i + 1), freed };
  }
  return { chosen: null, freed };
}

/**
 * Snapshots the policy does not keep, never the newest of a group nor one of `keep`, oldest
 * first. With `coming`, the policy judges each group as if that backup were already its newest.
 */
async function removable(repo: RepositoryFiles, policy: RetentionPolicy, options: QuotaOptions): Promise<SnapshotEntry[]> {
  if (isEmptyPolicy(policy)) return [];
  const keep = new Set(options.keep ?? []);
  const { snapshots } = await listSnapshots(repo);
  const now = options.now ?? new Date();
  const coming: SnapshotEntry | undefined = options.coming === undefined ? undefined : {
    id: '',
    snapshot: { ...(snapshots[snapshots.length - 1]?.snapshot ?? PLACEHOLDER), ...options.coming, time: BigInt(now.getTime()) * 1_000_000n },
  };
  const out: SnapshotEntry[] = [];
  for (const group of groupSnapshots(coming === undefined ? snapshots : [...snapshots, coming], ['host', 'paths'])) {
    const newest = group.entries[group.entries.length - 1];
    const { remove } = applyPolicy(group.entries, policy, {
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
      now,
    });
    out.push(...remove.filter((entry) => entry !== newest && entry !== coming && !keep.has(entry.id)));
  }
  return out.sort((a, b) => (a.snapshot.time < b.snapshot.time ? -1 : a.snapshot.time > b.snapshot.time ? 1 : a.id.localeCompare(b.id)));
}

/** The fields of a snapshot that the policy does not read, for the backup about to run when the repository has none yet. */
const PLACEHOLDER: Snapshot = {
  time: 0n, tree: new Uint8Array(32), paths: [], hostname: '', username: '', tags: [], description: '', meta: {}, parent: null, program: '',
  summary: { filesNew: 0, filesChanged: 0, filesUnchanged: 0, filesReferenced: 0, dirs: 0, symlinks: 0, others: 0, bytesRead: 0, bytesAdded: 0, dataBlobsAdded: 0, treeBlobsAdded: 0, packsAdded: 0, warnings: 0, durationMs: 0 },
};
