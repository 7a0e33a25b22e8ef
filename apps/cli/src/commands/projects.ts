import type { Command } from 'commander';
import { isCairnError } from '@cairn/core';
import type { Id } from '@cairn/core';
import { nsToIso } from '@cairn/index';
import { createTreeSizer } from '@cairn/repository';
import type { Repository, SnapshotEntry } from '@cairn/repository';
import { projectOf } from '@cairn/vcs/config';
import type { Project } from '@cairn/vcs/config';
import { globals, openRepo, printJson, readableSnapshots, repoLocation } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { formatBytes, formatTable, formatTime } from '../format.js';
import { loadProjects, snapshotProject } from '../projects.js';

/** One line of `cairn projects` (and one object of its --json output). */
export interface ProjectRow {
  readonly project: string;
  readonly client: string | null;
  readonly stack: readonly string[];
  readonly phase: string | null;
  readonly tags: readonly string[];
  /** The configured folder, or the paths of the project's latest snapshot. */
  readonly path: string;
  /** True when a config file names the project; false when only snapshots do. */
  readonly configured: boolean;
  readonly snapshots: number;
  /** When the latest snapshot of the project was taken (ISO), or null. */
  readonly lastBackup: string | null;
  readonly latestSnapshot: string | null;
  /** Bytes of the files in the latest snapshot (what a restore of it writes), or null. */
  readonly size: number | null;
  /** Bytes the project's snapshots added to the repository, together. */
  readonly added: number;
}

/** `cairn projects` */
export function registerProjects(program: Command): void {
  program
    .command('projects')
    .description('list the projects (configured for the current folder, or found in snapshots) with their last backup and size')
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const { projects, files } = await loadProjects(process.cwd());
      const repo = await openRepoIfAny(options);
      let snapshots: SnapshotEntry[] = [];
      if (repo === null) {
        process.stderr.write(`note: no repository at ${repoLocation(options).path} yet: no project has a backup\n`);
      } else {
        snapshots = await readableSnapshots(repo);
      }
      const rows = await projectRows(repo, projects, snapshots);
      if (options.json === true) {
        printJson(rows, 'project');
        return;
      }
      const times = new Map(snapshots.map(({ id, snapshot }) => [id, snapshot.time]));
      const table = formatTable(
        ['Project', 'Client', 'Stack', 'Phase', 'Tags', 'Path', 'Snapshots', 'Last backup', 'Size', 'Added'],
        rows.map((row) => [
          row.project,
          row.client ?? '',
          row.stack.join(','),
          row.phase ?? '',
          row.tags.join(','),
          row.path,
          String(row.snapshots),
          row.latestSnapshot === null ? 'never' : formatTime(times.get(row.latestSnapshot) ?? 0n),
          row.size === null ? '' : formatBytes(row.size),
          row.snapshots === 0 ? '' : formatBytes(row.added),
        ]),
      );
      const config = files.length === 0 ? 'no config file' : `config: ${files.join(', ')}`;
      process.stdout.write(`${table}\n${rows.length} projects (${config})\n`);
    });
}

/** The repository the options name, or null when there is none there yet. */
async function openRepoIfAny(options: GlobalOptions): Promise<Repository | null> {
  try {
    return await openRepo(options);
  } catch (error) {
    if (isCairnError(error, 'ERR_NOT_REPOSITORY')) return null;
    throw error;
  }
}

/**
 * One row per configured project and per project name found only in snapshots, sorted by name
 * then path. A snapshot belongs to the configured project of its meta.project name; when several
 * configured projects share that name, to the one whose folder holds a path of the snapshot.
 */
export async function projectRows(repo: Repository | null, projects: readonly Project[], snapshots: readonly SnapshotEntry[]): Promise<ProjectRow[]> {
  const ofConfigured = new Map<Project, SnapshotEntry[]>(projects.map((project) => [project, []]));
  const ofName = new Map<string, SnapshotEntry[]>();
  for (const entry of snapshots) {
    const name = snapshotProject(entry.snapshot).project;
    if (name === null) continue;
    const candidates = projects.filter((project) => project.project === name);
    const owner = candidates.length > 1
      ? candidates.find((project) => entry.snapshot.paths.some((path) => projectOf([project], path) !== undefined)) ?? candidates[0]
      : candidates[0];
    const list = owner === undefined ? ofName.get(name) ?? [] : ofConfigured.get(owner) ?? [];
    list.push(entry);
    if (owner === undefined) ofName.set(name, list);
  }

  const sizer = repo === null ? null : createTreeSizer(repo);
  const size = async (tree: Id): Promise<number> => {
    if (sizer === null) throw new TypeError('a snapshot was listed without a repository');
    return (await sizer(tree)).bytes;
  };
  const rows: ProjectRow[] = [];
  for (const [project, entries] of ofConfigured) {
    const { path, client, stack, phase, tags } = project;
    rows.push({ project: project.project, client, stack: [...stack], phase, tags: [...tags], path, configured: true, ...(await backupFields(entries, size)) });
  }
  for (const [name, entries] of ofName) {
    const latest = entries[entries.length - 1];
    if (latest === undefined) continue;
    const recorded = snapshotProject(latest.snapshot);
    rows.push({
      project: name,
      client: recorded.client,
      stack: [...recorded.stack],
      phase: recorded.phase,
      tags: [...latest.snapshot.tags],
      path: latest.snapshot.paths.join(' '),
      configured: false,
      ...(await backupFields(entries, size)),
    });
  }
  return rows.sort((a, b) => a.project.localeCompare(b.project) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The backup columns of a project whose snapshots are `entries` (oldest first). */
async function backupFields(
  entries: readonly SnapshotEntry[],
  size: (tree: Id) => Promise<number>,
): Promise<Pick<ProjectRow, 'snapshots' | 'lastBackup' | 'latestSnapshot' | 'size' | 'added'>> {
  const latest = entries[entries.length - 1];
  return {
    snapshots: entries.length,
    lastBackup: latest === undefined ? null : nsToIso(latest.snapshot.time),
    latestSnapshot: latest?.id ?? null,
    size: latest === undefined ? null : await size(latest.snapshot.tree),
    added: entries.reduce((sum, { snapshot }) => sum + snapshot.summary.bytesAdded, 0),
  };
}
