import type { Command } from 'commander';
import { addCommonOptions, integer } from '../cli-options.js';
import type { CommonOptions } from '../cli-options.js';
import { commandLine } from '../command-line.js';
import { findTable, runFind } from '../find-bench.js';
import { formatMachine } from '../machine-info.js';
import { ensureScaleTree } from '../scale-tree.js';
import { openSession, writeJson } from '../session.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** `cairn-bench find`: find by name and by glob across many snapshots of the scale tree. */
export function registerFind(program: Command): void {
  const command = program
    .command('find')
    .description('back up the scale tree several times with small changes, then time find by name and by glob over every snapshot');
  addCommonOptions(command, 'cairn,restic', 3)
    .option('--files <n>', 'number of files', integer(50, 50_000_000), 500_000)
    .option('--snapshots <n>', 'number of snapshots', integer(1, 1000), 10)
    .action(async (flags: CommonOptions & { files: number; snapshots: number }) => {
      const session = await openSession({ ...flags, tools: flags.tools.filter((t) => t !== 'borg') }, log);
      try {
        const tree = await ensureScaleTree(session.work, flags.files, flags.seed, log);
        const result = await runFind({ tree, snapshots: flags.snapshots, runDir: session.runDir, tools: session.tools, reps: flags.reps, settings: session.settings, keep: flags.keep === true, log });
        const table = findTable(result, tree, session.tools.map((t) => t.name));
        const lines = [
          `command: ${commandLine(process.argv)}`,
          formatMachine(session.machine),
          `tree: ${flags.files.toLocaleString('en')} files in 50 project folders at ${tree.root}; ${flags.snapshots} snapshots with small changes; reps: ${flags.reps}, medians`,
          '',
          table,
          '',
          ...session.missing.map((m) => `left out: ${m.reason}`),
          ...result.failures.map((f) => `FAILED: ${f.tool} ${f.step}: ${f.message}`),
        ];
        process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
        if (flags.json !== undefined) await writeJson(flags.json, { command: commandLine(process.argv), machine: session.machine, mode: 'find', files: flags.files, snapshots: flags.snapshots, samples: result.samples, failures: result.failures, table });
        process.exitCode = result.failures.length > 0 ? 1 : 0;
      } finally {
        await session.close();
      }
    });
}
