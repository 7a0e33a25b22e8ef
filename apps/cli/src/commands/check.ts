import type { Command } from 'commander';
import { check } from '@cairn/repository';
import { EXIT, globals, openRepo, printJson } from '../context.js';
import { formatBytes } from '../format.js';
import { startStatus } from '../progress.js';

/** `cairn check [--read-data]` */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('verify the repository: index, pack headers, snapshots and trees; with --read-data every byte')
    .option('--read-data', 'also read every pack and verify every blob against its id')
    .action(async (flags: { readData?: boolean }, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const status = startStatus('checking {phase}: {done}/{total}', options.json !== true);
      const result = await check(repo, {
        readData: flags.readData === true,
        onProgress: (p) => status.update({ phase: p.phase, done: String(p.done), total: String(p.total) }),
      });
      status.stop();
      if (options.json === true) printJson(result);
      else {
        for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
        for (const problem of result.problems) process.stdout.write(`error: ${problem.message}\n`);
        const v = result.verified;
        process.stdout.write(`checked ${v.snapshots} snapshots, ${v.trees} trees, ${v.packs} packs${flags.readData === true ? ` (${v.blobs} blobs, ${formatBytes(v.bytesRead)} read)` : ' (headers)'}: `);
        process.stdout.write(result.problems.length === 0 ? 'no errors found\n' : `${result.problems.length} errors\n`);
      }
      if (result.problems.length > 0) process.exitCode = EXIT.error;
    });
}
