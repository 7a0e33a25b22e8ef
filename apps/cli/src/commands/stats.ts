import type { Command } from 'commander';
import { stats } from '@cairn/repository';
import { globals, openRepo, printJson, repoLocation } from '../context.js';
import { formatBytes } from '../format.js';

/** `cairn stats` */
export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('show what the repository holds: sizes, compression and deduplication')
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const s = await stats(repo);
      if (options.json === true) {
        printJson(s);
        return;
      }
      process.stdout.write(
        [
          `repository:        ${repoLocation(options).path}`,
          `snapshots:         ${s.snapshots}`,
          `restore size:      ${formatBytes(s.restoreBytes)} in ${s.restoreFiles} files (all snapshots)`,
          `unique data:       ${formatBytes(s.uniqueBytes)} in ${s.dataBlobs} blobs (+ ${s.treeBlobs} trees)`,
          `stored:            ${formatBytes(s.packBytes)} in ${s.packs} packs`,
          `compression:       ${s.compressionRatio.toFixed(2)}x`,
          `deduplication:     ${s.dedupRatio.toFixed(2)}x`,
        ].join('\n') + '\n',
      );
    });
}
