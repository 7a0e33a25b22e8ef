import type { Command } from 'commander';
import { bigfileTable, ensureBigFile, runBigfile } from '../bigfile.js';
import { addCommonOptions, numberAbove } from '../cli-options.js';
import type { CommonOptions } from '../cli-options.js';
import { commandLine } from '../command-line.js';
import { formatMachine } from '../machine-info.js';
import { openSession, writeJson } from '../session.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** `cairn-bench bigfile`: one big compressible file; backup time and peak RSS. */
export function registerBigfile(program: Command): void {
  const command = program.command('bigfile').description('back up one big file of compressible pseudo-random content: time and peak RSS');
  addCommonOptions(command, 'cairn', 1)
    .option('--size-gb <n>', 'size of the file in GiB (fractions allowed)', numberAbove(0), 4)
    .action(async (flags: CommonOptions & { sizeGb: number }) => {
      const session = await openSession(flags, log);
      try {
        const bytes = Math.round(flags.sizeGb * 2 ** 30);
        log(`preparing the ${flags.sizeGb} GiB file`);
        const path = await ensureBigFile(session.work, bytes, flags.seed);
        const result = await runBigfile({ path, runDir: session.runDir, tools: session.tools, reps: flags.reps, cairnArgs: flags.cairnArgs, settings: session.settings, log });
        const table = bigfileTable(result.samples, session.tools.map((t) => t.name), bytes);
        const lines = [
          `command: ${commandLine(process.argv)}`,
          formatMachine(session.machine),
          `file: ${path} (${bytes.toLocaleString('en')} bytes, 4 bits of entropy a byte); reps: ${flags.reps}, medians`,
          '',
          table,
          '',
          ...session.missing.map((m) => `left out: ${m.reason}`),
          ...session.notes.map((n) => `note: ${n}`),
          ...result.failures.map((f) => `FAILED: rep ${f.rep}, ${f.tool} ${f.step}: ${f.message}`),
        ];
        process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
        if (flags.json !== undefined) await writeJson(flags.json, { command: commandLine(process.argv), machine: session.machine, mode: 'bigfile', bytes, samples: result.samples, failures: result.failures, table });
        process.exitCode = result.failures.length > 0 ? 1 : 0;
      } finally {
        await session.close();
      }
    });
}
