import { hostname as osHostname } from 'node:os';
import { CairnError, isCairnError } from '@cairn/core';
import type { Source } from '@cairn/core';
import type { Snapshot } from '@cairn/index';
import { forget } from './forget.js';
import { prune } from './prune.js';
import { enforceQuota } from './quota.js';
import type { QuotaResult } from './quota.js';
import { findSnapshot, listSnapshots, sameOrigin } from './snapshots.js';
import type { Repository } from './repository.js';

/** What a backup's quota check needs of its options. */
export interface QuotaBackupOptions {
  readonly source: Source;
  readonly paths: readonly string[];
  readonly hostname?: string;
  readonly parent?: string;
}

/**
 * Before a backup: when the repository has a size limit, estimates what the backup adds (what its
 * parent snapshot added: the latest of the same paths and host, or the one named) and makes room
 * for it (enforceQuota), or throws ERR_NO_SPACE before anything is written. Null without a limit.
 */
export async function quotaBeforeBackup(repo: Repository, options: QuotaBackupOptions): Promise<QuotaResult | null> {
  if (repo.config.maxSize === undefined) return null;
  const origin = { paths: options.paths.map((path) => options.source.resolve(path)), hostname: options.hostname ?? osHostname() };
  let parent: Snapshot | undefined;
  if (options.parent !== undefined) parent = (await findSnapshot(repo, options.parent)).snapshot;
  else parent = (await listSnapshots(repo)).snapshots.filter((entry) => sameOrigin(entry.snapshot, origin)).pop()?.snapshot;
  return enforceQuota(repo, { incoming: parent?.summary.bytesAdded ?? 0 });
}

/**
 * After a backup saved snapshot `id`: when the repository is over its size limit, makes room
 * (never forgetting `id`); when the retention policy forbids enough, forgets `id` again, prunes
 * what only it used, and throws ERR_NO_SPACE saying so. Null without a limit.
 */
export async function quotaAfterBackup(repo: Repository, id: string): Promise<QuotaResult | null> {
  if (repo.config.maxSize === undefined) return null;
  try {
    return await enforceQuota(repo, { keep: [id] });
  } catch (error) {
    if (!isCairnError(error, 'ERR_NO_SPACE')) throw error;
    await forget(repo, { snapshots: [id] });
    await prune(repo, { graceMs: 0, maxUnused: 0 });
    throw new CairnError('ERR_NO_SPACE', `${error.message}: the new snapshot ${id.slice(0, 12)} was removed again`, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      cause: error,
    });
  }
}
