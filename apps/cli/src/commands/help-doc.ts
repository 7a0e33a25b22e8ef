import type { Command } from 'commander';
import { cliReference } from '../cli-doc.js';

/** The command that regenerates docs/CLI.md (run from the repository's root). */
export const REGENERATE_CLI_DOC = 'npx --yes pnpm@10 run docs:cli';

/** `cairn help-doc` (hidden): prints docs/CLI.md, the reference of every command and flag, from the commands' own definitions. */
export function registerHelpDoc(program: Command): void {
  program
    .command('help-doc', { hidden: true })
    .description('print docs/CLI.md: every command and flag, generated from their definitions')
    .action(() => {
      process.stdout.write(cliReference(program, REGENERATE_CLI_DOC));
    });
}
