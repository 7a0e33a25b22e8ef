import { Argument } from 'commander';
import type { Command } from 'commander';
import { completionScript, SHELLS } from '../completion.js';

/** `cairn completion bash|zsh|fish`: prints a completion script generated from the program's own commands and options. */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) for every command and flag')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: string) => {
      process.stdout.write(completionScript(program, shell));
    });
}
