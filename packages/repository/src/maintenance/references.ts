import { CairnError, isCairnError, shortId } from '@cairn/core';
import { collectBlobs } from '../tree/reachability.js';
import { listSnapshots } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';

/** The blobs that snapshots reference, gathered snapshot by snapshot. */
export interface References {
  /** Hex ids of the tree and data blobs of every snapshot walked so far. */
  readonly blobs: ReadonlySet<string>;
  /** Ids of the snapshots walked so far. */
  readonly snapshots: ReadonlySet<string>;
  /**
   * Lists the snapshots there are now, loads the index again (after the listing, so every
   * blob a listed snapshot uses is in it) and walks the snapshots not walked yet. Throws
   * ERR_INTEGRITY when a snapshot or one of its trees cannot be read: what it references
   * is unknown, so nothing may be deleted.
   */
  update(): Promise<void>;
}

/** Starts an empty set of references over a repository. */
export function createReferences(repo: Pick<Repository, 'backend' | 'loadTree' | 'reloadIndex' | 'index'>, signal?: AbortSignal): References {
  const blobs = new Set<string>();
  const walked = new Set<string>();
  const seenTrees = new Set<string>();
  return {
    blobs,
    snapshots: walked,
    async update() {
      const { snapshots, problems } = await listSnapshots(repo);
      const problem = problems[0];
      if (problem !== undefined) {
        throw new CairnError('ERR_INTEGRITY', `${problem.file} cannot be read (${problem.error.message}), so what it references is unknown`, {
          hint: 'nothing was deleted; run `cairn check` to see the damage',
        });
      }
      await repo.reloadIndex();
      for (const entry of snapshots) {
        if (walked.has(entry.id)) continue;
        try {
          await collectBlobs(repo, [entry], blobs, { seen: seenTrees, ...(signal === undefined ? {} : { signal }) });
        } catch (error) {
          if (!isCairnError(error) || error.code === 'ERR_TRANSIENT' || error.code === 'ERR_ABORTED') throw error;
          throw new CairnError('ERR_INTEGRITY', `cannot read all that snapshot ${shortId(entry.id)} references: ${error.message}`, {
            hint: 'nothing was deleted; run `cairn check`, then `cairn repair index` or `cairn repair snapshots`',
            cause: error,
          });
        }
        walked.add(entry.id);
      }
    },
  };
}
