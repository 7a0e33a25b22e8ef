import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { VcsStatus } from '@cairn/vcs';
import type { Policy } from '../src/policy/policy.js';
import type { FileReference } from '../src/types.js';

/** What a `--vcs changes` backup of one working copy would do with each path. */
export interface BackupPlan {
  readonly stored: string[];
  readonly referenced: FileReference[];
  readonly skipped: string[];
}

/**
 * Walks a working copy the way a backup does: folders the policy skips are pruned, clean pushed
 * files are recorded by reference, every other file is stored unless the policy skips it.
 */
export async function planBackup(status: VcsStatus, policy: Policy): Promise<BackupPlan> {
  const plan: BackupPlan = { stored: [], referenced: [], skipped: [] };
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (['.git', '.hg', '.svn'].includes(entry.name)) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        if ((await policy.decide(path, 'dir')).action === 'skip') plan.skipped.push(`${path}/`);
        else await walk(join(dir, entry.name), path);
        continue;
      }
      const reference = status.reference(path);
      if (reference !== null) plan.referenced.push(reference);
      else if ((await policy.decide(path)).action === 'store') plan.stored.push(path);
      else plan.skipped.push(path);
    }
  };
  await walk(status.copy.root, '');
  return plan;
}
