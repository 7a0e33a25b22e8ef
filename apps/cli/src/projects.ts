/**
 * Projects in the CLI: the configured projects of a folder, what a backup of a project records
 * in its snapshot (meta keys project, client, stack, phase and the project's tags), and reading
 * that back to list, filter and restore snapshots by project.
 */
import { CairnError } from '@cairn/core';
import type { WorkingCopyMode } from '@cairn/core';
import type { Snapshot } from '@cairn/index';
import type { SnapshotEntry } from '@cairn/repository';
import { loadConfig, resolveProjects } from '@cairn/vcs/config';
import type { PolicyOptions } from '@cairn/vcs';
import type { Project } from '@cairn/vcs/config';

/** The project fields a snapshot records; `stack` is kept as the stack names joined with ",". */
export interface SnapshotProject {
  readonly project: string | null;
  readonly client: string | null;
  readonly stack: readonly string[];
  readonly phase: string | null;
}

/** What `snapshots` and `restore` select snapshots by; every given field must match. */
export interface ProjectFilter {
  readonly project?: string;
  readonly client?: string;
  /** Tags that must all be on the snapshot. */
  readonly tags?: readonly string[];
}

/**
 * The projects configured for `cwd`: the user's config file and the nearest cairn.config.json
 * in `cwd` or a parent, merged and resolved (stacks detected where not given). A broken config
 * file throws loadConfig's CairnError (ERR_FORMAT naming the file and the place).
 */
export async function loadProjects(cwd: string): Promise<{ projects: Project[]; files: string[]; vcs: WorkingCopyMode; policy: PolicyOptions }> {
  const loaded = await loadConfig({ dir: cwd });
  return { projects: await resolveProjects(loaded), files: [...loaded.files], vcs: loaded.vcs, policy: loaded.policy };
}

/** The meta entries and tags a backup of `project` records in its snapshot (keys left out when unknown). */
export function projectMeta(project: Project): { meta: Record<string, string>; tags: string[] } {
  const meta: Record<string, string> = { project: project.project };
  if (project.client !== null) meta['client'] = project.client;
  if (project.stack.length > 0) meta['stack'] = project.stack.join(',');
  if (project.phase !== null) meta['phase'] = project.phase;
  return { meta, tags: [...project.tags] };
}

/** The project fields a snapshot's meta records; null (or no stack) where it records none. */
export function snapshotProject(snapshot: Pick<Snapshot, 'meta'>): SnapshotProject {
  const field = (key: string): string | null => {
    const value = snapshot.meta[key];
    return value === undefined || value === '' ? null : value;
  };
  const stack = field('stack');
  return {
    project: field('project'),
    client: field('client'),
    stack: stack === null ? [] : stack.split(',').filter((name) => name !== ''),
    phase: field('phase'),
  };
}

/** True when the snapshot is of the filter's project and client and carries all its tags. */
export function matchesProjectFilter(snapshot: Pick<Snapshot, 'meta' | 'tags'>, filter: ProjectFilter): boolean {
  const recorded = snapshotProject(snapshot);
  if (filter.project !== undefined && recorded.project !== filter.project) return false;
  if (filter.client !== undefined && recorded.client !== filter.client) return false;
  return (filter.tags ?? []).every((tag) => snapshot.tags.includes(tag));
}

/** The project names recorded in the snapshots, sorted. */
export function snapshotProjectNames(snapshots: readonly SnapshotEntry[]): string[] {
  const names = new Set<string>();
  for (const { snapshot } of snapshots) {
    const name = snapshotProject(snapshot).project;
    if (name !== null) names.add(name);
  }
  return [...names].sort();
}

/**
 * The newest of `snapshots` (listed oldest first) whose meta names project `name`.
 * ERR_NOT_FOUND naming the project and the projects that have snapshots when there is none.
 */
export function latestProjectSnapshot(snapshots: readonly SnapshotEntry[], name: string): SnapshotEntry {
  for (let i = snapshots.length - 1; i >= 0; i -= 1) {
    const entry = snapshots[i];
    if (entry !== undefined && snapshotProject(entry.snapshot).project === name) return entry;
  }
  const known = snapshotProjectNames(snapshots);
  throw new CairnError('ERR_NOT_FOUND', `no snapshot of project ${JSON.stringify(name)} in the repository; ${
    known.length === 0 ? 'no snapshot records a project yet' : `projects with snapshots: ${known.join(', ')}`}`, {
    hint: 'list them with `cairn projects`',
  });
}
