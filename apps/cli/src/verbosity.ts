import type { Command } from 'commander';
import { commandPath } from './command-tree.js';
import { globals } from './context.js';
import { usageError } from './usage.js';

/**
 * Commands whose output is the answer the user asked for (a listing, an object, the version):
 * -q leaves their stdout alone. Every other command reports work done, which -q holds back.
 */
const ANSWERS = new Set(['snapshots', 'projects', 'ls', 'versions', 'dump', 'cat', 'stats', 'grep', 'config', 'version', 'completion', 'help', 'help-doc', 'device ls']);

let held: { write: typeof process.stdout.write; chunks: (string | Uint8Array)[] } | undefined;

/**
 * Applies the global -q/--quiet and -v/--verbose before each command runs: a command that has
 * its own --quiet or --verbose (backup, restore, device backup) gets the global one, and with -q
 * (without --json) stdout is held back, to be shown only if the command fails (`releaseStdout`).
 * Errors and warnings go to stderr as always.
 */
export function applyVerbosity(program: Command): void {
  program.hook('preAction', (_program, action) => {
    const options = globals(action);
    if (options.quiet === true && options.verbose === true) throw usageError('-q/--quiet and -v/--verbose contradict each other: give one of them');
    for (const name of ['quiet', 'verbose'] as const) {
      if (options[name] === true && action.options.some((o) => o.attributeName() === name)) action.setOptionValue(name, true);
    }
    if (options.quiet === true && options.json !== true && !ANSWERS.has(commandPath(action).join(' '))) holdStdout();
  });
}

function holdStdout(): void {
  if (held !== undefined) return;
  const state = { write: process.stdout.write.bind(process.stdout), chunks: [] as (string | Uint8Array)[] };
  held = state;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    state.chunks.push(chunk);
    const callback = rest.find((r): r is (error?: Error | null) => void => typeof r === 'function');
    if (callback !== undefined) queueMicrotask(() => callback());
    return true;
  }) as typeof process.stdout.write;
}

/** Ends -q's hold on stdout: what the command printed is shown when it did not succeed (exit code not 0), dropped otherwise. */
export function releaseStdout(exitCode: number): void {
  if (held === undefined) return;
  const { write, chunks } = held;
  held = undefined;
  process.stdout.write = write;
  if (exitCode !== 0) for (const chunk of chunks) process.stdout.write(chunk);
}
