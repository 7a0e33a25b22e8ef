/**
 * What `cairn backup` takes from the config files (cairn.config.json found from the first path
 * upwards, and the user's): the VCS mode, each root's policy, and the project a single path is.
 */
import { basename, dirname } from 'node:path';
import type { EntryStat } from '@cairn/core';
import type { VcsBackupMode } from '@cairn/vcs/selector';
import { workingCopyAt } from '@cairn/vcs';
import { detectStacks, projectOf } from '@cairn/vcs/config';
import type { PolicyOptions } from '@cairn/vcs';
import { loadProjects, projectMeta } from './projects.js';

/** The settings of one backup. */
export interface BackupPlan {
  readonly vcs: VcsBackupMode;
  /** The policy of a root folder, or null (store everything). */
  readonly policy: (root: string) => PolicyOptions | null;
  /** Project fields for the snapshot's meta, and the project's tags. */
  readonly meta: Record<string, string>;
  readonly tags: string[];
}

/**
 * Settles a backup's VCS mode (flag, else config, else full), policies (the project's, else the
 * config's; none with --no-policy) and project: the configured project holding the single path
 * given, else, for a folder that is a working copy or has stack markers, a project named after it
 * with its detected stacks.
 */
export async function backupPlan(
  roots: readonly { path: string; stat: EntryStat }[],
  flags: { readonly vcs: VcsBackupMode | undefined; readonly policy: boolean },
): Promise<BackupPlan> {
  const first = roots[0];
  const dir = first === undefined ? process.cwd() : first.stat.type === 'dir' ? first.path : dirname(first.path);
  const loaded = await loadProjects(dir);
  const { projects } = loaded;
  const policy = (root: string): PolicyOptions | null => (flags.policy ? projectOf(projects, root)?.policy ?? loaded.policy : null);
  const plan = { vcs: flags.vcs ?? loaded.vcs, policy, meta: {}, tags: [] };
  if (roots.length !== 1 || first === undefined) return plan;
  const configured = projectOf(projects, first.path);
  if (configured !== undefined) return { ...plan, ...projectMeta(configured) };
  if (first.stat.type !== 'dir' || first.path === '/') return plan;
  const stacks = await detectStacks(first.path);
  if (stacks.length === 0 && (await workingCopyAt(first.path)) === null) return plan;
  return { ...plan, meta: { project: basename(first.path), ...(stacks.length === 0 ? {} : { stack: stacks.join(',') }) } };
}
