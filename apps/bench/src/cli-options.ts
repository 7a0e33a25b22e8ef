import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { TOOL_NAMES } from './tools.js';
import type { ToolName } from './tools.js';

/** Options every bench command takes. */
export interface CommonOptions {
  readonly tools: ToolName[];
  readonly reps: number;
  readonly seed: number;
  readonly work: string;
  readonly json?: string;
  readonly cairnArgs: string[];
  readonly cairnCli: string;
  readonly install: boolean;
  readonly keep?: boolean;
  readonly dropCaches?: boolean;
}

/**
 * The built cairn CLI beside this app: its bundle, apps/cli/dist/cairn.js, which is what `npm
 * install` gives users (it starts in about 0.2 s; main.js, which loads the workspace's packages
 * file by file, in about 0.33 s: a tenth of a no-op backup).
 */
export const DEFAULT_CAIRN_CLI = fileURLToPath(new URL('../../cli/dist/cairn.js', import.meta.url));

/** The default cache and scratch folder: <tmpdir>/cairn-bench. */
export const DEFAULT_WORK = join(tmpdir(), 'cairn-bench');

/** Parses "cairn,restic" into tool names; rejects unknown and empty lists. */
export function parseTools(value: string): ToolName[] {
  const names = [...new Set(value.split(',').map((name) => name.trim()).filter((name) => name !== ''))];
  if (names.length === 0) throw new InvalidArgumentError('name at least one tool: cairn, restic, borg.');
  for (const name of names) {
    if (!TOOL_NAMES.includes(name as ToolName)) throw new InvalidArgumentError(`"${name}" is not a tool: choose from ${TOOL_NAMES.join(', ')}.`);
  }
  return names as ToolName[];
}

/** A commander parser for integers from `min` to `max`. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`wants a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** A commander parser for numbers greater than `min`. */
export function numberAbove(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= min) throw new InvalidArgumentError(`wants a number above ${min}.`);
    return n;
  };
}

/** Splits `--cairn-args` at white space (no quoting: pass arguments without spaces). */
export function splitArgs(value: string): string[] {
  return value.split(/\s+/).filter((arg) => arg !== '');
}

/** Adds the options every bench command takes, with `tools` as the default tool list. */
export function addCommonOptions(command: Command, tools: string, reps: number): Command {
  return command
    .addOption(new Option('--tools <list>', 'tools to run, comma-separated: cairn, restic, borg').default(parseTools(tools), tools).argParser(parseTools))
    .addOption(new Option('--reps <n>', 'repetitions (medians are reported)').default(reps).argParser(integer(1, 1000)))
    .addOption(new Option('--seed <n>', 'seed of generated data').default(1).argParser(integer(0, 2 ** 32 - 1)))
    .option('--work <dir>', 'cache of generated data and scratch space for runs', DEFAULT_WORK)
    .option('--json <file>', 'write every raw sample and the medians as JSON to <file>')
    .addOption(new Option('--cairn-args <args>', "extra arguments for cairn's backup command, split at spaces").default([], 'none').argParser(splitArgs))
    .option('--cairn-cli <path>', 'the built cairn CLI', DEFAULT_CAIRN_CLI)
    .option('--no-install', 'do not apt-get install missing tools (restic, borgbackup, time)')
    .option('--keep', 'keep the repositories, restores and the copied data of the run')
    .option('--drop-caches', 'drop the page cache before every measured command (root; slows everything else on the machine)');
}
