import type { Command, CommanderError } from 'commander';
import type { CairnError } from '@cairn/core';
import { childCommands, commandPath, findCommand } from './command-tree.js';
import { usageError } from './usage.js';

/** A commander parse error together with the command that raised it. */
export class ParseError extends Error {
  /** The commander error (its code says which: commander.unknownCommand, commander.unknownOption, …). */
  readonly commander: CommanderError;
  /** The command whose arguments were being parsed. */
  readonly command: Command;

  constructor(commander: CommanderError, command: Command) {
    super(commander.message);
    this.commander = commander;
    this.command = command;
  }
}

/**
 * Makes commander's parse errors one line each instead of a message and the whole help:
 * commander prints nothing itself and throws a ParseError naming the command, which
 * `parseErrorToUsage` turns into ERR_USAGE. Call once on the program before commands are added
 * (they inherit the output settings) and once more after (`nameCommandsInErrors`).
 */
export function quietParseErrors(program: Command): void {
  program.configureOutput({ outputError: () => undefined }).showSuggestionAfterError(true).exitOverride();
}

/** Each command (and each command below it) throws ParseError naming itself when commander refuses its arguments. */
export function nameCommandsInErrors(root: Command): void {
  root.exitOverride((error) => {
    throw error.exitCode === 0 || error.code === 'commander.help' || error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
      ? error
      : new ParseError(error, root);
  });
  for (const command of root.commands) nameCommandsInErrors(command);
}

/**
 * The one-line ERR_USAGE for a commander error: `unknown command "bakcup" (did you mean backup?)`,
 * `backup: unknown option "--bogus" (did you mean --force?)`; the help command is named when
 * commander has no suggestion.
 */
export function parseErrorToUsage(error: ParseError): CairnError {
  const [first = '', ...rest] = error.commander.message.split('\n');
  const path = commandPath(error.command).join(' ');
  const text = first.replace(/^error: /, '').replace(/'([^']*)'/g, '"$1"').replace(/\.$/, '');
  const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(' '))?.[1];
  const where = path === '' ? '' : `${path}: `;
  const help = path === '' ? 'cairn help' : `cairn help ${path}`;
  const unknown = error.commander.code === 'commander.unknownCommand' || error.commander.code === 'commander.unknownOption';
  const tail = suggestion !== undefined ? ` (did you mean ${suggestion}?)` : unknown ? ` (${help} lists ${error.commander.code === 'commander.unknownCommand' ? 'the commands' : 'the options'})` : ` (see ${help})`;
  return usageError(`${where}${text}${tail}`);
}

/**
 * `cairn help [command…]`: the help of cairn or of any command, nested ones too
 * (`cairn help device backup`). Adding it replaces commander's implicit help command on the
 * program, which looks only one level down.
 */
export function registerHelp(program: Command): void {
  program
    .command('help')
    .description('show the help of cairn or of a command (with examples)')
    .argument('[command...]', 'a command, such as backup or device backup')
    .action((words: string[]) => {
      const found = findCommand(program, words);
      if ('unknown' in found) {
        const names = childCommands(found.within).map((c) => c.name());
        const where = commandPath(found.within).join(' ');
        const suggestion = closest(found.unknown, names);
        const tail = suggestion !== undefined ? ` (did you mean ${suggestion}?)` : names.length === 0 ? ` (${['cairn', where].join(' ')} has no commands)` : ` (commands: ${names.join(', ')})`;
        throw usageError(`help: unknown command "${[where, found.unknown].filter((w) => w !== '').join(' ')}"${tail}`);
      }
      found.command.outputHelp();
    });
}

/** The name in `names` closest to `word` within two edits (a typo), if any. */
function closest(word: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (distance <= 2 && distance < word.length && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance with adjacent transpositions (Damerau's optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}
