import type { Command } from 'commander';
import { resolve } from 'node:path';
import { matchesFilter, restore, restoreUndoable } from '@cairn/repository';
import type { Repository, RestoreOptions, RestoreProgress, RestoreResult, SnapshotFilter } from '@cairn/repository';
import { createLocalSource } from '@cairn/transport';
import type { RemoteRewrite } from '@cairn/vcs';
import { EXIT, globals, openRepo, printJson, readableSnapshots, repoLocation, resolveSnapshot } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { withInterrupt } from '../interrupt.js';
import { entryError, warn } from '../output.js';
import { FILES_AND_BYTES, startProgress } from '../progress.js';
import { latestProjectSnapshot } from '../projects.js';
import { localRestoreTarget, OVERWRITE_POLICIES } from '../restore-target.js';
import { usageError } from '../usage.js';

interface RestoreFlags extends SnapshotFilterFlags {
  readonly target: string;
  readonly overwrite: string;
  readonly project?: string;
  readonly dryRun?: boolean;
  readonly verbose?: boolean;
  readonly backupExisting?: boolean;
  readonly vcsRemote: string[];
}

/** `cairn restore <snapshot> --target <dir> [paths…]`, or `cairn restore --project <name> --target <dir>` */
export function registerRestore(program: Command): void {
  addSnapshotFilterFlags(program
    .command('restore')
    .description('restore a snapshot, or selected paths of it, into a folder')
    .argument('[snapshot]', 'snapshot id, unique id prefix, or "latest" (leave out with --project)')
    .argument('[paths...]', 'paths or globs in the snapshot to restore, e.g. proj/src or "*.md" (a glob without / matches at any depth); default: everything')
    .requiredOption('-t, --target <dir>', 'the folder to restore into (created if missing)')
    .option('--project <name>', 'restore the latest snapshot of this project (instead of naming a snapshot)')
    .option('--overwrite <policy>', 'what to do with existing files: always, never, if-changed (size or mtime differ)', 'always')
    .option('-n, --dry-run', 'list what would be done, change nothing')
    .option('-v, --verbose', 'list every entry restored')
    .option('--vcs-remote <old=new>', 'rebuild working copies from NEW where their recorded remote URL starts with OLD (a remote that moved; git\'s url.<new>.insteadOf; repeatable)', collect, [])
    .option('--backup-existing', 'first back up the files the restore overwrites, as a snapshot tagged pre-restore: restoring it into the same target undoes the restore'))
    .action(async (given: string | undefined, paths: string[], flags: RestoreFlags, command: Command) => {
      const options = globals(command);
      const overwrite = OVERWRITE_POLICIES.find((p) => p === flags.overwrite);
      if (overwrite === undefined) throw usageError(`--overwrite wants one of ${OVERWRITE_POLICIES.join(', ')}, got ${JSON.stringify(flags.overwrite)}`);
      if (flags.target === '') throw usageError('--target: an empty path ("") names no folder; give "." for the current folder');
      if (flags.target === '-') throw usageError('--target: "-" is not stdout here: a restore writes files into a folder; give ./- for a folder named "-"');
      const choice = chooseSnapshot(given, flags.project);
      const filter = snapshotFilter(flags);
      const repo = await openRepo(options);
      const ref = 'ref' in choice ? (await resolveSnapshot(repo, choice.ref, filter)).id : await projectLatest(repo, choice.project, filter);
      const vcsRemotes = flags.vcsRemote.map(parseRewrite);
      const dryRun = flags.dryRun === true;
      const actions: unknown[] = [];
      // Totals come from the restore's plan: the files and bytes it is about to write.
      const progress = startProgress({ command: 'restore', enabled: options.quiet !== true && !dryRun, initial: FILES_AND_BYTES });
      const restoreOptions: RestoreOptions = {
        ...localRestoreTarget(flags.target, vcsRemotes),
        include: paths,
        overwrite,
        dryRun,
        onAction: (a) => {
          if (options.json === true) actions.push(a);
          else if (dryRun || flags.verbose === true) process.stdout.write(`${dryRun ? 'would ' : ''}${a.action} ${a.type} ${a.path}${a.type === 'file' ? ` (${formatBytes(a.size)})` : ''}\n`);
        },
        onProblem: (p) => entryError(p.message, { path: p.path }),
        ...(progress.active ? { onProgress: (p: RestoreProgress) => progress.set(p) } : {}),
      };
      // Ctrl-C (or SIGTERM) stops cleanly: the files being written are dropped, none is left half-written.
      const { result, preRestore } = await withInterrupt(async (signal): Promise<{ result: RestoreResult; preRestore: string | null }> => {
        if (flags.backupExisting !== true || dryRun) return { result: await restore(repo, ref, { ...restoreOptions, signal }), preRestore: null };
        const undoable = await restoreUndoable(repo, ref, {
          ...restoreOptions,
          signal,
          source: createLocalSource(),
          targetPath: flags.target,
          skip: [resolve(repoLocation(options).path)],
        });
        return { result: undoable.restore, preRestore: undoable.backup?.id ?? null };
      }).finally(() => progress.stop());
      for (const path of result.notRestored) warn(`${path}: fifos, sockets and devices are not restored`, { path });
      if (options.json === true) printJson({ ...result, ...(dryRun ? { actions } : {}), ...(flags.backupExisting === true && !dryRun ? { preRestore } : {}) });
      else {
        if (preRestore !== null) process.stdout.write(`saved what the restore overwrites as snapshot ${shortId(preRestore)} (tag pre-restore); undo with: cairn restore ${shortId(preRestore)} --target ${flags.target}\n`);
        else if (flags.backupExisting === true && !dryRun) process.stdout.write('the restore overwrote nothing: no pre-restore snapshot was needed\n');
        const verb = dryRun ? 'would restore' : 'restored';
        process.stdout.write(`${verb} ${result.files} files, ${result.dirs} folders, ${result.symlinks} symlinks, ${result.hardlinks} hardlinks (${formatBytes(result.bytesWritten)}) from ${shortId(result.snapshotId)} to ${flags.target}; ${result.skipped} skipped\n`);
        if (result.checkedOut > 0) process.stdout.write(`${result.checkedOut} files recorded by reference ${dryRun ? 'would come' : 'came'} from their working copy's remote\n`);
        if (result.problems.length > 0) process.stdout.write(`${result.problems.length} entries could not be restored (see above); exit code ${EXIT.partial}\n`);
      }
      if (result.problems.length > 0) process.exitCode = EXIT.partial;
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--vcs-remote OLD=NEW` as a rewrite (split at the first '='); ERR_USAGE naming the value when a side is empty. */
function parseRewrite(text: string): RemoteRewrite {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) {
    throw usageError(`--vcs-remote wants OLD=NEW (the recorded remote URL, or its start, and where the remote is now), got ${JSON.stringify(text)}`);
  }
  return { from: text.slice(0, at), to: text.slice(at + 1) };
}

/** What names the snapshot to restore: the argument or --project, exactly one of them (ERR_USAGE otherwise). */
function chooseSnapshot(given: string | undefined, project: string | undefined): { ref: string } | { project: string } {
  if (project === undefined) {
    if (given === undefined) throw usageError('restore needs a snapshot (id, unique id prefix or "latest") or --project <name>');
    return { ref: given };
  }
  if (given !== undefined) {
    throw usageError(`give a snapshot or --project, not both: --project ${project} restores the latest snapshot of project ${JSON.stringify(project)}, and ${JSON.stringify(given)} names a snapshot too`);
  }
  return { project };
}

/** The id of the latest snapshot of project `name` that passes `filter`; ERR_NOT_FOUND naming the projects there are. */
async function projectLatest(repo: Repository, name: string, filter: SnapshotFilter): Promise<string> {
  return latestProjectSnapshot((await readableSnapshots(repo)).filter((entry) => matchesFilter(entry.snapshot, filter)), name).id;
}
