import { once } from 'node:events';
import type { Command } from 'commander';
import { dumpFile } from '@cairn/repository';
import { globals, openRepo, resolveSnapshot } from '../context.js';
import { withInterrupt } from '../interrupt.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { usageError } from '../usage.js';

/** `cairn dump <snapshot>:<path>` or `cairn dump <snapshot> <path>`: one file's bytes on stdout. */
export function registerDump(program: Command): void {
  addSnapshotFilterFlags(program
    .command('dump')
    .description('write one file of a snapshot to stdout (a folder or symlink is refused: restore those)')
    .argument('<snapshot[:path]>', 'snapshot id, unique id prefix, or "latest", with the path after a colon: latest:proj/a.txt')
    .argument('[path]', 'the file in the snapshot, as `cairn ls` shows it (instead of after the colon)'))
    .action(async (given: string, second: string | undefined, flags: SnapshotFilterFlags, command: Command) => {
      const { ref, path } = splitArgument(given, second);
      const options = globals(command);
      const repo = await openRepo(options);
      const { id } = await resolveSnapshot(repo, ref, snapshotFilter(flags));
      // One blob at a time, each checked against its id; the next is read once stdout took the last.
      await withInterrupt(async (signal) => {
        for await (const chunk of dumpFile(repo, id, path, { signal })) {
          if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        }
      });
    });
}

/** The snapshot and the path from `snap:path`, or from `snap path`; ERR_USAGE when either is missing. */
function splitArgument(given: string, second: string | undefined): { ref: string; path: string } {
  if (second !== undefined) {
    if (given.includes(':')) throw usageError(`give the path after the colon or as a second argument, not both: ${JSON.stringify(given)} and ${JSON.stringify(second)}`);
    if (second === '') throw usageError('dump needs the path of a file in the snapshot, not ""');
    return { ref: given, path: second };
  }
  const colon = given.indexOf(':');
  if (colon < 0) throw usageError(`dump needs a file: <snapshot>:<path> (e.g. latest:proj/a.txt) or <snapshot> <path>, not just ${JSON.stringify(given)}`);
  const ref = given.slice(0, colon);
  const path = given.slice(colon + 1);
  if (ref === '') throw usageError(`dump needs a snapshot before the colon (an id, a prefix or "latest"), not ${JSON.stringify(given)}`);
  if (path === '') throw usageError(`dump needs the path of a file after the colon, not ${JSON.stringify(given)}`);
  return { ref, path };
}
