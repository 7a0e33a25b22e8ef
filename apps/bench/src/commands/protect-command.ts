import type { Command } from 'commander';
import { DEFAULT_CAIRN_CLI } from '../cli-options.js';
import { integer } from '../cli-options.js';
import { commandLine } from '../command-line.js';
import { markdownTable } from '../format.js';
import { formatMachine, machineInfo } from '../machine-info.js';
import { isBenchFolder, msText, PROTECT_TARGETS, runProtectBench } from '../protect-bench.js';
import { writeJson } from '../session.js';
import { median } from '../stats.js';

/** `cairn-bench protect`: protect one big file in a repository of many, through the API (kept open) and the CLI. */
export function registerProtect(program: Command): void {
  program
    .command('protect')
    .description(`protect one big file in a repository of --files others: per call through the API with the repository kept open (target < ${PROTECT_TARGETS.apiMs} ms) and through the CLI bundle, process start included (target < ${PROTECT_TARGETS.cliMs} ms)`)
    .option('--files <n>', 'small files the repository holds besides the big one', integer(0, 10_000_000), 100_000)
    .option('--size <mb>', 'the protected file, in MB (10^6 bytes)', integer(1, 100_000), 10)
    .option('--runs <n>', 'timed calls of each kind', integer(1, 1000), 10)
    .option('--work <dir>', 'where the tree and the repository go (emptied first; a tmpfs keeps the disk out of it)', '/dev/shm/cairn-bench-protect')
    .option('--cairn-cli <file>', 'the cairn CLI to time', DEFAULT_CAIRN_CLI)
    .option('--reuse', 'keep the tree and repository a previous run with the same --files and --size made')
    .option('--json <file>', 'write the figures as JSON to <file>')
    .action(async (flags: { files: number; size: number; runs: number; work: string; cairnCli: string; reuse?: boolean; json?: string }) => {
      if (!isBenchFolder(flags.work)) throw new Error(`--work ${flags.work} exists and is not this bench's folder: give an empty or new one`);
      const r = await runProtectBench({ work: flags.work, files: flags.files, bigBytes: flags.size * 1_000_000, runs: flags.runs, cli: flags.cairnCli, reuse: flags.reuse === true, log: (line) => process.stderr.write(`${line}\n`) });
      const met = (values: readonly number[], target: number): string => ((median(values) ?? Infinity) < target ? 'met' : 'MISSED');
      const table = markdownTable(['protect one file', 'time per call', `target`], [
        [`open the repository (${flags.files.toLocaleString('en')} files indexed), once`, `${r.openMs.toFixed(0)} ms`, ''],
        ['API, the process\'s first call (a new Protector: reads the snapshot list, tidies)', `${r.apiFirstMs.toFixed(0)} ms`, ''],
        ['API, after an 8-byte change (read whole, one chunk stored)', msText(r.apiChangedMs), `< ${PROTECT_TARGETS.apiMs} ms: ${met(r.apiChangedMs, PROTECT_TARGETS.apiMs)}`],
        ['API, unchanged since the last protect', msText(r.apiUnchangedMs), `< ${PROTECT_TARGETS.apiMs} ms: ${met(r.apiUnchangedMs, PROTECT_TARGETS.apiMs)}`],
        ['CLI `cairn protect`, after an 8-byte change, process start included', msText(r.cliChangedMs), `< ${PROTECT_TARGETS.cliMs} ms: ${met(r.cliChangedMs, PROTECT_TARGETS.cliMs)}`],
        ['CLI `cairn protect`, unchanged since the last protect', msText(r.cliUnchangedMs), `< ${PROTECT_TARGETS.cliMs} ms: ${met(r.cliUnchangedMs, PROTECT_TARGETS.cliMs)}`],
        ['CLI `cairn --version` (process start alone)', msText(r.cliStartMs), ''],
      ]);
      const machine = machineInfo([]);
      process.stdout.write(`command: ${commandLine(process.argv)}\n${formatMachine(machine)}\nsetup (tree and first backup${flags.reuse === true ? ', or reused' : ''}): ${r.setupSeconds.toFixed(1)} s; medians of ${flags.runs} runs\n\n${table}\n`);
      if (flags.json !== undefined) await writeJson(flags.json, { command: commandLine(process.argv), machine, mode: 'protect', ...r, targets: PROTECT_TARGETS, table });
    });
}
