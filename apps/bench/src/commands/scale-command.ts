import type { Command } from 'commander';
import { addCommonOptions, integer } from '../cli-options.js';
import type { CommonOptions } from '../cli-options.js';
import { commandLine } from '../command-line.js';
import { formatMachine } from '../machine-info.js';
import { runScale, scaleTable } from '../scale.js';
import { ensureScaleTree } from '../scale-tree.js';
import { openSession, writeJson } from '../session.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** `cairn-bench scale`: many small files; first, no-op and 500-file-change backups. */
export function registerScale(program: Command): void {
  const command = program
    .command('scale')
    .description('back up a tree of many small files in 50 project folders: first, no-op, and after changing 500 files');
  addCommonOptions(command, 'cairn', 1)
    .option('--files <n>', 'number of files', integer(50, 50_000_000), 500_000)
    .action(async (flags: CommonOptions & { files: number }) => {
      const session = await openSession(flags, log);
      try {
        const tree = await ensureScaleTree(session.work, flags.files, flags.seed, log);
        const result = await runScale({ tree, runDir: session.runDir, tools: session.tools, reps: flags.reps, cairnArgs: flags.cairnArgs, settings: session.settings, log });
        const table = scaleTable(result, session.tools.map((t) => t.name));
        const lines = [
          `command: ${commandLine(process.argv)}`,
          formatMachine(session.machine),
          `tree: ${flags.files.toLocaleString('en')} files in 50 project folders at ${tree.root}; reps: ${flags.reps}, medians`,
          '',
          table,
          '',
          ...session.missing.map((m) => `left out: ${m.reason}`),
          ...result.failures.map((f) => `FAILED: rep ${f.rep}, ${f.tool} ${f.step}: ${f.message}`),
        ];
        process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
        if (flags.json !== undefined) await writeJson(flags.json, { command: commandLine(process.argv), machine: session.machine, mode: 'scale', files: flags.files, samples: result.samples, failures: result.failures, table });
        process.exitCode = result.failures.length > 0 ? 1 : 0;
      } finally {
        await session.close();
      }
    });
}
