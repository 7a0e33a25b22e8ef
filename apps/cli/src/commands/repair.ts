import type { Command } from 'commander';
import { repairIndex, repairSnapshots } from '@cairn/repository';
import { EXIT, globals, openRepo, printJson } from '../context.js';
import { shortId } from '../format.js';
import { startStatus } from '../progress.js';

const LISTED = 20;

/** `cairn repair index` and `cairn repair snapshots` */
export function registerRepair(program: Command): void {
  const repair = program.command('repair').description('repair a damaged repository: rebuild the index, mend snapshots that lost data');

  repair
    .command('index')
    .description('rebuild the index from the pack headers alone (replaces every index file)')
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const status = startStatus('reading pack headers: {done}/{total}', options.json !== true);
      const result = await repairIndex(repo, { onProgress: (p) => status.update({ done: String(p.done), total: String(p.total) }) });
      status.stop();
      if (options.json === true) printJson(result);
      else {
        for (const d of result.damaged) process.stderr.write(`warning: ${d.message} (left in place, not indexed)\n`);
        process.stdout.write(`indexed ${result.packs} packs (${result.blobs} blobs) in ${result.indexFilesWritten} new index file(s); removed ${result.indexFilesRemoved} old index file(s)\n`);
      }
      if (result.damaged.length > 0) process.exitCode = EXIT.partial;
    });

  repair
    .command('snapshots')
    .description('write new snapshots without the data that is missing (damaged files keep what is left; the originals stay until forgotten)')
    .argument('[snapshots...]', 'snapshot ids or unique prefixes (default: all)')
    .option('--forget', 'remove each original once its repaired snapshot is written')
    .option('--dry-run', 'say what is damaged, write nothing')
    .action(async (snapshots: string[], flags: { forget?: boolean; dryRun?: boolean }, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const result = await repairSnapshots(repo, { snapshots, forget: flags.forget === true, dryRun: flags.dryRun === true });
      if (options.json === true) printJson(result);
      else {
        for (const u of result.unrepairable) process.stderr.write(`error: ${u.message}; forget it with \`cairn forget ${shortId(u.id)}\`\n`);
        for (const r of result.repaired) {
          const target = r.repaired === null ? 'would be repaired' : `repaired as ${shortId(r.repaired)}${r.forgotten ? ' (original forgotten)' : ''}`;
          process.stdout.write(`snapshot ${shortId(r.original)} ${target}: ${r.damagedFiles.length} file(s) lost data, ${r.emptiedFolders.length} folder(s) could not be read\n`);
          const paths = [...r.damagedFiles, ...r.emptiedFolders.map((f) => `${f}/ (now empty)`)];
          for (const path of paths.slice(0, LISTED)) process.stdout.write(`  ${path}\n`);
          if (paths.length > LISTED) process.stdout.write(`  … and ${paths.length - LISTED} more (see the snapshot's meta "repaired-damaged")\n`);
        }
        process.stdout.write(result.repaired.length === 0 && result.unrepairable.length === 0
          ? `checked ${result.checked} snapshots: none references missing data\n`
          : `checked ${result.checked} snapshots: ${result.repaired.length} ${flags.dryRun === true ? 'to repair' : 'repaired'}, ${result.unrepairable.length} beyond repair\n`);
      }
      if (result.unrepairable.length > 0) process.exitCode = EXIT.partial;
    });
}
