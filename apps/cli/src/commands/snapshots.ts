import type { Command } from 'commander';
import { snapshotToJson } from '@cairn/index';
import { globals, openRepo, printJson, readableSnapshots } from '../context.js';
import { formatBytes, formatTable, formatTime } from '../format.js';
import { matchesProjectFilter, snapshotProject } from '../projects.js';

interface SnapshotsFlags {
  readonly tag: string[];
  readonly host?: string;
  readonly project?: string;
  readonly client?: string;
}

/** `cairn snapshots` */
export function registerSnapshots(program: Command): void {
  program
    .command('snapshots')
    .description('list snapshots, oldest first')
    .option('--tag <tag>', 'only snapshots with this tag (repeatable: all given tags must be present)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--host <name>', 'only snapshots of this host')
    .option('--project <name>', 'only snapshots of this project')
    .option('--client <name>', 'only snapshots of this client\'s projects')
    .action(async (flags: SnapshotsFlags, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const snapshots = await readableSnapshots(repo);
      const filter = {
        tags: flags.tag,
        ...(flags.project === undefined ? {} : { project: flags.project }),
        ...(flags.client === undefined ? {} : { client: flags.client }),
      };
      const shown = snapshots.filter(({ snapshot }) =>
        matchesProjectFilter(snapshot, filter) && (flags.host === undefined || snapshot.hostname === flags.host));
      if (options.json === true) {
        printJson(shown.map(({ id, snapshot }) => ({ id, ...snapshotToJson(snapshot) })), 'snapshot');
        return;
      }
      const rows = shown.map(({ id, snapshot }) => [
        id,
        formatTime(snapshot.time),
        snapshot.hostname,
        snapshotProject(snapshot).project ?? '',
        snapshot.tags.join(','),
        formatBytes(snapshot.summary.bytesRead),
        snapshot.paths.join(' '),
      ]);
      process.stdout.write(`${formatTable(['ID', 'Time', 'Host', 'Project', 'Tags', 'Read', 'Paths'], rows)}\n${shown.length} snapshots\n`);
    });
}
