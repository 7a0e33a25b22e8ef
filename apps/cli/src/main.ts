#!/usr/bin/env node
/**
 * The `cairn` command: parses arguments, calls @cairn/repository, prints results,
 * and turns errors into messages and exit codes (0 ok, 1 error, 3 partial).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from '@cairn/repository';
import { registerBackup } from './commands/backup.js';
import { registerCat } from './commands/cat.js';
import { registerCheck } from './commands/check.js';
import { registerCompletion } from './commands/completion.js';
import { registerConfig } from './commands/config.js';
import { registerCopy } from './commands/copy.js';
import { registerDaemon } from './commands/daemon.js';
import { registerDevice } from './commands/device.js';
import { registerDiff } from './commands/diff.js';
import { registerDump } from './commands/dump.js';
import { registerImport } from './commands/import.js';
import { registerFind } from './commands/find.js';
import { registerForget } from './commands/forget.js';
import { registerGrep } from './commands/grep.js';
import { registerHelpDoc } from './commands/help-doc.js';
import { registerInit } from './commands/init.js';
import { registerKey } from './commands/key.js';
import { registerLs } from './commands/ls.js';
import { registerProjects } from './commands/projects.js';
import { registerProtect, registerRollback } from './commands/protect.js';
import { registerPrune } from './commands/prune.js';
import { registerRepair } from './commands/repair.js';
import { registerRestore } from './commands/restore.js';
import { registerServe } from './commands/serve.js';
import { registerSnapshots } from './commands/snapshots.js';
import { registerStats } from './commands/stats.js';
import { registerStatus } from './commands/status.js';
import { registerTag } from './commands/tag.js';
import { registerUi } from './commands/ui.js';
import { registerUnlock } from './commands/unlock.js';
import { registerVersion } from './commands/version.js';
import { registerVersions } from './commands/versions.js';
import { registerWatch } from './commands/watch.js';
import { defaultRepoLocation, EXIT, globals, reportError } from './context.js';
import type { GlobalOptions } from './context.js';
import { attachExamples } from './examples.js';
import { nameCommandsInErrors, ParseError, parseErrorToUsage, quietParseErrors, registerHelp } from './help.js';
import { setJsonOutput } from './output.js';
import { refuseExcessArguments } from './usage.js';
import { applyVerbosity, releaseStdout } from './verbosity.js';

// A reader that stops early (`cairn ls … | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
  throw error;
});

const program = new Command('cairn')
  .description('cairn: content-addressed, deduplicating, incremental backups')
  .version(VERSION)
  .option('-r, --repo <path>', 'the repository folder (default: $CAIRN_REPO, else the per-user default)')
  .option('--password-file <file>', 'the password of an encrypted repository, in the first line of this file (else $CAIRN_PASSWORD, $CAIRN_PASSWORD_COMMAND or a prompt)')
  .option('--json', 'print JSON Lines on stdout: progress, warnings, the result (docs/JSON.md)')
  .option('-q, --quiet', 'print nothing but errors and warnings (listings, cat and stats still print what they were asked for); no progress')
  .option('-v, --verbose', 'print more detail (restore lists every entry; errors show their causes)')
  .addHelpText('after', `
Repository: --repo, else $CAIRN_REPO, else ${defaultRepoLocation()}
(the default is created by the first backup; any other location by \`cairn init\`).

Exit codes:
  0  success
  1  error (nothing was changed, or check found damage)
  3  partial: the command finished but some files could not be read or restored

More: cairn help <command> (every command has examples); docs/CLI.md lists every flag.`)
  .hook('preAction', (_program, action) => setJsonOutput(globals(action).json === true));
// Commander's errors become one line with a suggestion (not the whole help): set before the
// commands are added, which inherit it.
quietParseErrors(program);

registerInit(program);
registerBackup(program);
registerSnapshots(program);
registerProjects(program);
registerLs(program);
registerDiff(program);
registerFind(program);
registerRestore(program);
registerVersions(program);
registerProtect(program);
registerRollback(program);
registerDump(program);
registerImport(program);
registerCheck(program);
registerCat(program);
registerStats(program);
registerGrep(program);
registerTag(program);
registerCopy(program);
registerForget(program);
registerPrune(program);
registerRepair(program);
registerUnlock(program);
registerKey(program);
registerConfig(program);
registerServe(program);
registerUi(program);
registerDevice(program);
registerDaemon(program);
registerWatch(program);
registerStatus(program);
registerVersion(program);
registerCompletion(program);
registerHelp(program);
registerHelpDoc(program);
refuseExcessArguments(program);
applyVerbosity(program);
attachExamples(program);
nameCommandsInErrors(program);

/**
 * Runs the command line. Not a top-level await: the installed bundle is a CommonJS script, so
 * that its compiled code can be cached between runs (code-cache.ts).
 */
async function run(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    const json = process.argv.includes('--json');
    const verbose = program.opts<GlobalOptions>().verbose === true;
    if (error instanceof ParseError) {
      process.exitCode = reportError(parseErrorToUsage(error), json);
    } else if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.error;
    } else {
      process.exitCode = reportError(error, json, verbose);
    }
  }
  releaseStdout(Number(process.exitCode ?? EXIT.ok));
}

void run();
