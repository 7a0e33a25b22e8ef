import type { Command } from 'commander';
import { parseDataSubset } from '@cairn/repository';
import { checkUnderLease } from '../check-run.js';
import { EXIT, globals, openRepo, printJson } from '../context.js';
import { formatBytes } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { startProgress } from '../progress.js';
import { parseFlag } from '../usage.js';

/** `cairn check [--read-data | --read-data-subset N%|K/M]` */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('verify the repository: index, pack headers, snapshots and trees; with --read-data every byte')
    .option('--read-data', 'also read every pack and verify every blob against its id')
    .option('--read-data-subset <subset>', 'read only some packs whole: N% (a random share) or K/M (group K of M, by pack id)')
    .action(async (flags: { readData?: boolean; readDataSubset?: string }, command: Command) => {
      const options = globals(command);
      const subset = flags.readDataSubset === undefined ? undefined : parseFlag('--read-data-subset', flags.readDataSubset, parseDataSubset);
      const repo = await openRepo(options);
      const progress = startProgress({ command: 'check', enabled: options.quiet !== true, initial: { phase: 'packs', done: 0, total: null } });
      // Ctrl-C (or SIGTERM) stops it between packs or snapshots (it changes nothing).
      const result = await withInterrupt((signal) => checkUnderLease(repo, {
        readData: flags.readData === true,
        ...(subset === undefined ? {} : { readDataSubset: subset }),
        signal,
        onProgress: (p) => progress.set({ phase: p.phase, done: p.done, total: p.total }),
      }, (note) => process.stderr.write(`note: ${note}\n`))).finally(() => progress.stop());
      if (options.json === true) printJson(result);
      else {
        for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
        for (const problem of result.problems) process.stdout.write(`error: ${problem.message}\n`);
        const v = result.verified;
        const read = flags.readData === true || subset !== undefined
          ? ` (read ${v.packsRead} of them whole: ${v.blobs} blobs, ${formatBytes(v.bytesRead)})`
          : ' (headers)';
        process.stdout.write(`checked ${v.snapshots} snapshots, ${v.trees} trees, ${v.packs} packs${read}: `);
        process.stdout.write(result.problems.length === 0 ? 'no errors found\n' : `${result.problems.length} errors\n`);
      }
      if (result.problems.length > 0) process.exitCode = EXIT.error;
    });
}
