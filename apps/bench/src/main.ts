#!/usr/bin/env node
/**
 * cairn-bench: measures cairn beside restic and borg on the same data (generated,
 * a folder, or a history of versions), and cairn alone at scale (many files, one big
 * file, the blob index's memory). Prints markdown tables; --json keeps every sample.
 */
import { Command, CommanderError } from 'commander';
import { isCairnError } from '@cairn/core';
import { registerBigfile } from './commands/bigfile-command.js';
import { registerCompare } from './commands/compare-command.js';
import { registerDevice } from './commands/device-command.js';
import { registerFind } from './commands/find-command.js';
import { registerFloor } from './commands/floor-command.js';
import { registerGroups } from './commands/groups-command.js';
import { registerIndexMemory } from './commands/index-memory-command.js';
import { registerInspect } from './commands/inspect-command.js';
import { registerScale } from './commands/scale-command.js';
import { registerVcs } from './vcs.js';

const program = new Command('cairn-bench')
  .description('cairn beside restic and borg: first, no-op and incremental backups, restore, repository size, CPU time, peak RSS')
  .enablePositionalOptions()
  .exitOverride()
  .showHelpAfterError();
registerCompare(program);
registerScale(program);
registerBigfile(program);
registerInspect(program);
registerIndexMemory(program);
registerDevice(program);
registerFind(program);
registerFloor(program);
registerGroups(program);
registerVcs(program);

// `pnpm bench -- --small` passes the "--" on: drop it.
const args = process.argv.slice(2);
if (args[0] === '--') args.shift();

try {
  await program.parseAsync(args, { from: 'user' });
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : 1;
  else {
    process.stderr.write(`cairn-bench: ${error instanceof Error ? error.message : String(error)}\n`);
    if (isCairnError(error) && error.hint !== undefined) process.stderr.write(`hint: ${error.hint}\n`);
    else if (!isCairnError(error) && !(error instanceof TypeError || error instanceof RangeError) && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
