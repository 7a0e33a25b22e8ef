import type { Command } from 'commander';
import { unlock } from '@cairn/repository/locks';
import { globals, openRepo, printJson } from '../context.js';

/** `cairn unlock [--remove-all]` */
export function registerUnlock(program: Command): void {
  program
    .command('unlock')
    .description('remove stale locks (their process is gone, or stopped refreshing them); --remove-all removes live ones too')
    .option('--remove-all', 'remove every lock, also of processes that still run (only when you know they do not)')
    .action(async (flags: { removeAll?: boolean }, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const result = await unlock(repo.backend, { removeAll: flags.removeAll === true });
      if (options.json === true) {
        printJson(result);
        return;
      }
      for (const entry of result.removed) process.stdout.write(`removed ${entry.message}\n`);
      for (const entry of result.kept) process.stdout.write(`kept ${entry.message}\n`);
      if (result.kept.length > 0) process.stdout.write('the kept locks belong to processes that still run; `cairn unlock --remove-all` removes them too\n');
      if (result.removed.length + result.kept.length === 0) process.stdout.write('no locks\n');
    });
}
