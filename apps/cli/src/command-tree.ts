import type { Command, Option } from 'commander';

/** `root` and every command below it, each before its own; hidden ones and commander's implicit `help` left out. */
export function walkCommands(root: Command): Command[] {
  return [root, ...childCommands(root).flatMap(walkCommands)];
}

/** The commands a command's help lists, in order, without commander's implicit `help`. */
export function childCommands(command: Command): Command[] {
  return command.createHelp().visibleCommands(command).filter((c) => command.commands.includes(c));
}

/** The command's words after `cairn`: [] for cairn, ["device", "backup"]. */
export function commandPath(command: Command): string[] {
  return command.parent === null ? [] : [...commandPath(command.parent), command.name()];
}

/** The command `words` name below `root` (names or aliases), or undefined with the first word that names none. */
export function findCommand(root: Command, words: readonly string[]): { command: Command } | { unknown: string; within: Command } {
  let command = root;
  for (const word of words) {
    const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (next === undefined) return { unknown: word, within: command };
    command = next;
  }
  return { command };
}

/** The options a command's help lists (its own, without hidden ones), -h/--help included. */
export function visibleOptions(command: Command): Option[] {
  return command.createHelp().visibleOptions(command);
}
