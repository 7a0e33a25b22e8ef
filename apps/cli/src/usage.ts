import type { Command } from 'commander';
import { CairnError } from '@cairn/core';

/** An argument problem the CLI found: ERR_USAGE, reported as the user's mistake (never as a bug). */
export function usageError(message: string, hint?: string): CairnError {
  return new CairnError('ERR_USAGE', message, hint === undefined ? {} : { hint });
}

/**
 * Parses the value of `flag` with an engine parser, turning its RangeError / TypeError
 * (a bad value) into ERR_USAGE naming the flag: the one place those become the user's mistake.
 */
export function parseFlag<T>(flag: string, value: string, parse: (text: string) => T): T {
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) {
      throw usageError(error.message.startsWith(flag) ? error.message : `${flag}: ${error.message}`);
    }
    throw error;
  }
}

/** A count such as --keep-last: a whole number of 0 or more (up to 2^53 - 1); ERR_USAGE naming the flag otherwise. */
export function parseCount(flag: string, value: string, what: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw usageError(`${flag} wants ${what}, not ${JSON.stringify(value)}`);
  return n;
}

/** An integer within [min, max]; ERR_USAGE naming the flag and value otherwise. */
export function parseNumber(flag: string, value: string, range: { min: number; max: number; what: string }): number {
  const n = /^\s*$/.test(value) ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw usageError(`${flag} wants ${range.what}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Makes every command refuse arguments beyond those it declares, with one line naming the
 * first extra one (commander's own check names none and prints the whole usage).
 */
export function refuseExcessArguments(program: Command): void {
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) command.allowExcessArguments(true);
  program.hook('preAction', (_program, action) => {
    const declared = action.registeredArguments;
    if (declared.at(-1)?.variadic === true || action.args.length <= declared.length) return;
    const extra = action.args[declared.length];
    const name = [...ancestry(action)].join(' ');
    const takes = declared.length === 0 ? 'takes no arguments' : `takes ${declared.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ')}`;
    throw usageError(`${name}: unexpected argument ${JSON.stringify(extra)} (${name} ${takes})`);
  });
}

/** The command's words after `cairn`: "ls", "config max-size". */
function* ancestry(command: Command): Generator<string> {
  if (command.parent === null) return;
  yield* ancestry(command.parent);
  yield command.name();
}
