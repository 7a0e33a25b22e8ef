import type { Command } from 'commander';
import { listSnapshots } from '@cairn/repository';
import { snapshotToJson } from '@cairn/index';
import { globals, openRepo, printJson } from '../context.js';
import { formatBytes, formatTable, formatTime } from '../format.js';

/** `cairn snapshots` */
export function registerSnapshots(program: Command): void {
  program
    .command('snapshots')
    .description('list snapshots, oldest first')
    .option('--tag <tag>', 'only snapshots with this tag')
    .option('--host <name>', 'only snapshots of this host')
    .action(async (flags: { tag?: string; host?: string }, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const { snapshots, problems } = await listSnapshots(repo);
      const shown = snapshots.filter(({ snapshot }) =>
        (flags.tag === undefined || snapshot.tags.includes(flags.tag)) && (flags.host === undefined || snapshot.hostname === flags.host));
      for (const p of problems) process.stderr.write(`warning: skipped ${p.file}, which cannot be read: ${p.error.message}\n`);
      if (options.json === true) {
        printJson(shown.map(({ id, snapshot }) => ({ id, ...snapshotToJson(snapshot) })));
        return;
      }
      const rows = shown.map(({ id, snapshot }) => [
        id,
        formatTime(snapshot.time),
        snapshot.hostname,
        snapshot.tags.join(','),
        formatBytes(snapshot.summary.bytesRead),
        snapshot.paths.join(' '),
      ]);
      process.stdout.write(`${formatTable(['ID', 'Time', 'Host', 'Tags', 'Read', 'Paths'], rows)}\n${shown.length} snapshots\n`);
    });
}
