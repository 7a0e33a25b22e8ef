import { hostname as osHostname } from 'node:os';
import { CairnError, isCairnError, shortId } from '@cairn/core';
import type { Source } from '@cairn/core';
import { forget } from '../maintenance/forget.js';
import { prune } from '../maintenance/prune.js';
import { enforceQuota } from '../maintenance/quota.js';
import type { QuotaResult } from '../maintenance/quota.js';
import { findParent } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';

/** What a backup's quota check needs of its options. */
export interface QuotaBackupOptions {
  readonly source: Source;
  readonly paths: readonly string[];
  readonly hostname?: string;
  readonly parent?: string;
  readonly tags?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
}

/**
 * Before a backup: when the repository has a size limit, estimates what the backup adds (what its
 * parent snapshot added: the latest of the same paths and host, or the one named), prunes what no
 * snapshot uses, and checks that forgetting what the retention policy lets go once the backup is
 * the newest of its group would make room; ERR_NO_SPACE before anything is written when it would
 * not. It forgets nothing: snapshots go after the backup, once the new one is saved (so the
 * repository may exceed its limit during a backup by what that backup adds). Null without a limit.
 */
export async function quotaBeforeBackup(repo: Repository, options: QuotaBackupOptions): Promise<QuotaResult | null> {
  if (repo.config.maxSize === undefined) return null;
  const origin = { paths: options.paths.map((path) => options.source.resolve(path)), hostname: options.hostname ?? osHostname() };
  const parent = await findParent(repo, options.parent, origin);
  return enforceQuota(repo, { incoming: parent?.snapshot.summary.bytesAdded ?? 0, coming: { ...origin, tags: [...(options.tags ?? [])], meta: { ...(options.meta ?? {}) } } });
}

/**
 * After a backup saved snapshot `id`: when the repository is over its size limit, makes room
 * (never forgetting `id`). When forgetting what the retention policy lets go could not make room,
 * enforceQuota forgot nothing: this forgets `id` again, prunes what only it used, and throws
 * ERR_NO_SPACE saying so, leaving the repository as it was before the backup. Null without a limit.
 */
export async function quotaAfterBackup(repo: Repository, id: string): Promise<QuotaResult | null> {
  if (repo.config.maxSize === undefined) return null;
  try {
    return await enforceQuota(repo, { keep: [id] });
  } catch (error) {
    if (!isCairnError(error, 'ERR_NO_SPACE')) throw error;
    await forget(repo, { snapshots: [id] });
    await prune(repo, { graceMs: 0, maxUnused: 0 });
    throw new CairnError('ERR_NO_SPACE', `${error.message}: the new snapshot ${shortId(id)} was removed again`, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      cause: error,
    });
  }
}
