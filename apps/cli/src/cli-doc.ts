import type { Command } from 'commander';
import { childCommands, commandPath, visibleOptions, walkCommands } from './command-tree.js';
import { EXAMPLES } from './examples.js';

/**
 * docs/CLI.md: every command with its usage, arguments, flags and examples, read from the
 * commander definitions (so the reference cannot drift from the program).
 */
export function cliReference(program: Command, regenerate: string): string {
  const help = program.createHelp();
  const out: string[] = [
    '# The cairn command line',
    '',
    `<!-- Generated from the commands' own definitions: do not edit. Regenerate with \`${regenerate}\`. -->`,
    '',
    'Every command and flag of `cairn`, as `cairn help <command>` shows them. The global options',
    '(the first table) are taken by every command, before or after its name.',
    '',
  ];
  const commands = walkCommands(program);
  out.push('Commands:', '');
  for (const command of commands.slice(1)) out.push(`- [\`${title(command)}\`](#${anchor(command)}): ${oneLine(command.description())}`);
  out.push('');
  for (const command of commands) {
    out.push(`## ${title(command)}`, '', oneLine(command.description()), '', '```', `${help.commandUsage(command)}`, '```', '');
    const args = help.visibleArguments(command);
    if (args.length > 0) {
      out.push('| Argument | Description |', '| --- | --- |');
      for (const a of args) out.push(`| \`${help.argumentTerm(a)}\` | ${cell(help.argumentDescription(a))} |`);
      out.push('');
    }
    const options = visibleOptions(command).filter((o) => o.long !== '--help');
    if (options.length > 0) {
      out.push(command === program ? '| Global option | Description |' : '| Option | Description |', '| --- | --- |');
      for (const o of options) out.push(`| \`${help.optionTerm(o)}\` | ${cell(help.optionDescription(o))} |`);
      out.push('');
    }
    const subcommands = childCommands(command);
    if (subcommands.length > 0 && command !== program) {
      out.push(`Commands: ${subcommands.map((c) => `[\`${c.name()}\`](#${anchor(c)})`).join(', ')}`, '');
    }
    const examples = EXAMPLES[commandPath(command).join(' ')] ?? [];
    if (examples.length > 0) {
      out.push('Examples:', '', '```sh');
      const width = Math.max(...examples.map(([line]) => line.length));
      for (const [line, what] of examples) out.push(`${line.padEnd(width)}  # ${what}`);
      out.push('```', '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function title(command: Command): string {
  return ['cairn', ...commandPath(command)].join(' ');
}

/** The anchor GitHub gives the heading `## cairn device backup`. */
function anchor(command: Command): string {
  return title(command).toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}
