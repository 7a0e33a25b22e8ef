import type { Command } from 'commander';
import { snapshotToJson } from '@cairn/index';
import { matchesFilter } from '@cairn/repository';
import type { SnapshotEntry } from '@cairn/repository';
import { groupSnapshots, groupText } from '@cairn/repository/maintenance';
import type { SnapshotGroup } from '@cairn/repository/maintenance';
import { globals, openRepo, printJson, readableSnapshots } from '../context.js';
import { formatBytes, formatTable, formatTime, shortId } from '../format.js';
import { matchesProjectFilter, snapshotProject } from '../projects.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { parseNumber } from '../usage.js';
import { parseGroupBy } from './forget.js';

interface SnapshotsFlags extends SnapshotFilterFlags {
  readonly project?: string;
  readonly client?: string;
  readonly latest?: string;
  readonly groupBy?: string;
  readonly compact?: boolean;
}

/** `cairn snapshots` */
export function registerSnapshots(program: Command): void {
  addSnapshotFilterFlags(program
    .command('snapshots')
    .description('list snapshots, oldest first'))
    .option('--project <name>', 'only snapshots of this project')
    .option('--client <name>', 'only snapshots of this client\'s projects')
    .option('--latest <n>', 'only the n newest snapshots of each host and paths (within each --group-by group)')
    .option('--group-by <keys>', 'list the snapshots in groups by host, paths and/or tags, e.g. host,paths')
    .option('--compact', 'one short line per snapshot: id, time, host and tags')
    .action(async (flags: SnapshotsFlags, command: Command) => {
      const options = globals(command);
      const filter = snapshotFilter(flags);
      const latest = flags.latest === undefined ? undefined : parseNumber('--latest', flags.latest, { min: 1, max: Number.MAX_SAFE_INTEGER, what: 'a number of snapshots (1 or more)' });
      const groupBy = flags.groupBy === undefined ? undefined : parseGroupBy(flags.groupBy);
      const repo = await openRepo(options);
      const project = {
        ...(flags.project === undefined ? {} : { project: flags.project }),
        ...(flags.client === undefined ? {} : { client: flags.client }),
      };
      const shown = (await readableSnapshots(repo)).filter(({ snapshot }) => matchesFilter(snapshot, filter) && matchesProjectFilter(snapshot, project));
      const groups: SnapshotGroup[] = groupBy === undefined || groupBy.length === 0 ? [{ key: {}, entries: shown }] : groupSnapshots(shown, groupBy);
      const listed = groups.map((group) => ({ key: group.key, entries: latest === undefined ? group.entries : newest(group.entries, latest) }));
      if (options.json === true) {
        const json = (entries: readonly SnapshotEntry[]) => entries.map(({ id, snapshot }) => ({ id, ...snapshotToJson(snapshot) }));
        printJson(groupBy === undefined ? json(listed.flatMap((g) => g.entries)) : listed.map((g) => ({ key: g.key, snapshots: json(g.entries) })));
        return;
      }
      const out: string[] = [];
      for (const group of listed) {
        if (groupBy !== undefined) out.push(`${out.length === 0 ? '' : '\n'}snapshots of ${groupText(group.key)}:`);
        out.push(table(group.entries, flags.compact === true));
      }
      const count = listed.reduce((sum, g) => sum + g.entries.length, 0);
      process.stdout.write(`${out.join('\n')}\n${count} snapshots${groupBy === undefined ? '' : ` in ${listed.length} group${listed.length === 1 ? '' : 's'}`}\n`);
    });
}

/** The `n` newest of each host and paths among `entries` (oldest first), in their order. */
function newest(entries: readonly SnapshotEntry[], n: number): SnapshotEntry[] {
  const kept = new Set(groupSnapshots(entries, ['host', 'paths']).flatMap((group) => group.entries.slice(-n)));
  return entries.filter((entry) => kept.has(entry));
}

function table(entries: readonly SnapshotEntry[], compact: boolean): string {
  if (compact) {
    return formatTable(['ID', 'Time', 'Host', 'Tags'], entries.map(({ id, snapshot }) => [shortId(id), formatTime(snapshot.time), snapshot.hostname, snapshot.tags.join(',')]));
  }
  return formatTable(['ID', 'Time', 'Host', 'Project', 'Tags', 'Read', 'Paths'], entries.map(({ id, snapshot }) => [
    shortId(id),
    formatTime(snapshot.time),
    snapshot.hostname,
    snapshotProject(snapshot).project ?? '',
    snapshot.tags.join(','),
    formatBytes(snapshot.summary.bytesRead),
    snapshot.paths.join(' '),
  ]));
}
