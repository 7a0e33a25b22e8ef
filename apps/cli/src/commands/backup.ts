import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backup, COMPRESSION_MODES, EXCLUDED_CLASS, parseCompressionMode, resolveBackupPaths } from '@cairn/repository';
import type { BackupOptions, BackupProgress, BackupResult, BackupWarning } from '@cairn/repository';
import { createLocalSource } from '@cairn/transport';
import { createProjectSelector } from '@cairn/vcs/selector';
import type { VcsBackupMode } from '@cairn/vcs/selector';
import { EXIT, globals, openOrCreateRepo, printJson, repoLocation } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { warn } from '../output.js';
import { FILES_AND_BYTES, startProgress } from '../progress.js';
import { backupPlan } from '../backup-plan.js';
import type { BackupPlan } from '../backup-plan.js';
import { openForDryRun, runDryRun } from '../backup-dry-run.js';
import { DEFAULT_STDIN_NAME, stdinInput } from '../backup-stdin.js';
import { skippedLine, viewState, workingCopiesJson } from '../snapshot-report.js';
import { parseFlag, usageError } from '../usage.js';
import { capYoungGeneration, limitHeapGrowth } from '../heap-flags.js';
import { addSelectionFlags, excludedLines, readSelection } from '../exclude-flags.js';
import type { SelectionFlags } from '../exclude-flags.js';

interface BackupFlags extends SelectionFlags {
  readonly tag: string[];
  readonly description?: string;
  readonly meta: string[];
  readonly host?: string;
  readonly parent?: string;
  readonly time?: string;
  readonly quiet?: boolean;
  readonly force?: boolean;
  readonly compression?: string;
  readonly vcs?: string;
  readonly policy: boolean;
  /** False with --no-delta. */
  readonly delta: boolean;
  /** False with --no-group. */
  readonly group: boolean;
  readonly dryRun?: boolean;
  readonly stdin?: boolean;
  readonly stdinFilename?: string;
}

/** What `--stdin` backs up by: no config file, no VCS work, no policy (a stream has no entries to skip). */
const STDIN_PLAN: BackupPlan = { vcs: 'off', policy: () => null, meta: {}, tags: [] };

/** `cairn backup <paths…>`, `cairn backup --stdin` */
export function registerBackup(program: Command): void {
  const command = program
    .command('backup')
    .description('back up files and folders into a new snapshot')
    .argument('[paths...]', 'files or folders to back up (or --files-from); each is named by its last component in the snapshot')
    .option('--tag <tag>', 'tag the snapshot (repeatable)', collect, [])
    .option('--description <text>', 'a description kept with the snapshot')
    .option('--meta <key=value>', 'custom metadata kept with the snapshot (repeatable)', collect, [])
    .option('--host <name>', 'record this host name instead of the machine\'s')
    .option('--parent <snapshot>', 'compare against this snapshot (default: the latest of the same paths and host)')
    .option('--time <iso-time>', 'record this time instead of now')
    .option('--force', 'read every file, even those whose size, mtime, ctime and inode match the parent snapshot')
    .option('--compression <mode>', `compression of new data: ${COMPRESSION_MODES.join(', ')} (default: the repository's, normally auto)`)
    .option('--no-group', 'store each small new file in a frame of its own, not in a group of small files sharing one zstd frame (groups are on when the repository allows them)')
    .option('--no-delta', 'store every new chunk whole, not as a delta against the same file\'s chunk in the parent snapshot (deltas are on when the repository allows them)')
    .option('--vcs <mode>', 'working copies (git, hg, svn): off; full (everything, plus their state); changes (only what their remote lacks, the rest recorded by reference). Default: the config\'s, else full')
    .option('--no-policy', 'store everything: no stack presets, no .gitignore, no configured globs (generated and dependency files are skipped by default, and listed)')
    .option('--dry-run', 'write nothing: list the files a backup would store (new or changed) and what the policy would skip, with the bytes it would read and add')
    .option('--stdin', 'store what standard input holds as one file (see --stdin-filename), streamed; takes no paths')
    .option('--stdin-filename <name>', `the file name --stdin stores the data under (default: ${DEFAULT_STDIN_NAME}; the snapshot's path is /<name>)`)
    .option('-q, --quiet', 'print no progress and no warnings');
  addSelectionFlags(command)
    .action(async (given: string[], flags: BackupFlags, command: Command) => {
      // A small young generation for the whole run: the walk's garbage dies young, and a backup peaks lower at the same speed.
      capYoungGeneration();
      // And an old generation that grows to twice what survives, once new data is compressed in threads.
      limitHeapGrowth();
      const options = globals(command);
      // An empty argument would resolve to the current folder: nobody means that.
      if (given.some((p) => p === '')) throw usageError('backup: an empty path ("") names nothing to back up; give "." for the current folder');
      const selection = readSelection(flags);
      const paths = [...given, ...selection.paths];
      const stdin = stdinInput(paths, flags);
      if (stdin === null && paths.length === 0) throw usageError('backup: give the files or folders to back up (or --files-from FILE, or --stdin to store standard input)');
      if (stdin !== null && selection.exclude !== undefined) throw usageError('backup: the exclude flags select entries below the paths; --stdin stores one stream and takes none');
      const compression = flags.compression === undefined ? undefined : parseFlag('--compression', flags.compression, parseCompressionMode);
      const source = stdin?.source ?? createLocalSource();
      const roots = await resolveBackupPaths(source, stdin?.paths ?? paths); // fail on a missing path before anything is written
      const plan = stdin !== null ? STDIN_PLAN : await backupPlan(roots, { vcs: flags.vcs === undefined ? undefined : parseVcsMode(flags.vcs), policy: flags.policy });
      // A dry run only reads: it never creates the default repository.
      const repo = flags.dryRun === true ? await openForDryRun(options) : await openOrCreateRepo(options);
      // Never back the repository up into itself (`cairn backup ~` with the default repository):
      // the walk leaves its folder out by identity, also when a symlink or a bind mount leads there.
      const repoPath = resolve(repoLocation(options).path);
      const real = (path: string): string => {
        try {
          return realpathSync(path);
        } catch {
          return resolve(path);
        }
      };
      if (stdin === null && paths.some((p) => real(repoPath).startsWith(`${real(p)}/`)) && flags.quiet !== true) {
        process.stderr.write(`note: not backing up the repository itself (${repoPath})\n`);
      }
      // Ctrl-C (or SIGTERM) stops cleanly: packs already written get indexed, no snapshot is made.
      // Totals come from the parent snapshot, measured alongside (none without a parent).
      // A dry run's list goes to the terminal as the walk finds it: no progress line redrawn across it, and no status line after its JSON summary.
      const progress = startProgress({ command: 'backup', enabled: flags.quiet !== true && flags.dryRun !== true, unknownTotal: 'no parent snapshot to go by', initial: FILES_AND_BYTES });
      const optionsFor = (signal: AbortSignal): BackupOptions => ({
        source,
        paths: stdin?.paths ?? paths,
        ...(stdin === null ? { skip: [repoPath] } : {}),
        tags: [...new Set([...plan.tags, ...flags.tag])],
        meta: { ...plan.meta, ...parseMeta(flags.meta) },
        // With no VCS work and no policy, the walk asks nobody about its entries.
        ...(stdin !== null || (plan.vcs === 'off' && !flags.policy) ? {} : {
          selector: createProjectSelector({ roots: roots.map((root) => root.path), vcs: plan.vcs, policy: plan.policy, signal }),
        }),
        ...(selection.exclude === undefined ? {} : { exclude: selection.exclude }),
        ...(flags.description === undefined ? {} : { description: flags.description }),
        ...(flags.host === undefined ? {} : { hostname: flags.host }),
        ...(flags.parent === undefined ? {} : { parent: flags.parent }),
        ...(flags.time === undefined ? {} : { time: parseTime(flags.time) }),
        ...(compression === undefined ? {} : { compression }),
        ...(flags.delta === false ? { deltas: false } : {}),
        ...(flags.group === false ? { groups: false } : {}),
        force: flags.force === true,
        signal,
        ...(progress.active ? { onProgress: (p: BackupProgress) => progress.set({ filesDone: p.files, filesTotal: p.total?.files ?? null, bytesDone: p.bytesDone, bytesTotal: p.total?.bytes ?? null, path: p.path }) } : {}),
        onWarning: (w) => {
          if (flags.quiet !== true) warn(w.message, { kind: w.kind, path: w.path });
        },
      });
      if (flags.dryRun === true) {
        await runDryRun(repo, optionsFor, { json: options.json === true, quiet: flags.quiet === true }).finally(() => progress.stop());
        return;
      }
      const result = await withInterrupt((signal) => backup(repo, optionsFor(signal))).finally(() => progress.stop());
      const s = result.snapshot.summary;
      if (options.json === true) {
        const { skipped = [], classes = {} } = result.snapshot;
        printJson({
          id: result.id, partial: result.partial, warnings: result.warnings, summary: s, paths: result.snapshot.paths, meta: result.snapshot.meta,
          skipped, classes, workingCopies: workingCopiesJson(result.snapshot), ...(result.quota === undefined ? {} : { quota: result.quota }),
        });
      } else {
        process.stdout.write(
          [
            `snapshot ${shortId(result.id)} saved`,
            `files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnchanged} unchanged${s.filesReferenced > 0 ? `, ${s.filesReferenced} by reference` : ''}; ${s.dirs} folders, ${s.symlinks} symlinks, ${s.others} other`,
            ...projectLines(result),
            ...excludedLines(result),
            `read ${formatBytes(s.bytesRead)}, added ${formatBytes(s.bytesAdded)} in ${s.dataBlobsAdded + s.treeBlobsAdded} blobs (${s.packsAdded} packs) in ${(s.durationMs / 1000).toFixed(2)} s`,
            ...quotaLines(result),
            ...(result.partial ? [`partial: ${partialSummary(result.warnings)} (see the warnings); exit code ${EXIT.partial}`] : []),
          ].join('\n') + '\n',
        );
      }
      if (result.partial) process.exitCode = EXIT.partial;
    });
}

/** Lines on the working copies, classes and skipped entries of a backup. */
function projectLines(result: BackupResult): string[] {
  const { skipped = [], classes = {}, vcs = [], meta } = result.snapshot;
  const lines: string[] = [];
  if (meta['project'] !== undefined) lines.push(`project: ${meta['project']}${meta['client'] === undefined ? '' : ` (client ${meta['client']})`}${meta['stack'] === undefined ? '' : `, stack ${meta['stack']}`}`);
  for (const copy of vcs) {
    const view = viewState(copy);
    lines.push(`working copy ${copy.path}: ${[view.vcs, view.at, ...view.details].join(', ')}; ${copy.mode === 'changes' ? 'stored what its remote lacks' : 'stored whole'}`);
  }
  const counted = Object.entries(classes);
  if (counted.length > 0) lines.push(`classes: ${counted.map(([name, c]) => `${name} ${c.files} (${formatBytes(c.bytes)})`).join(', ')}`);
  // The VCS folders left out in `changes` mode are told by the working copy line above.
  const byPolicy = skipped.filter((entry) => entry.class !== 'vcs' && entry.class !== EXCLUDED_CLASS);
  if (byPolicy.length > 0) {
    lines.push(`skipped by policy (--no-policy keeps everything): ${byPolicy.length}`);
    for (const entry of byPolicy.slice(0, 10)) lines.push(skippedLine(entry));
    if (byPolicy.length > 10) lines.push(`  … and ${byPolicy.length - 10} more (cairn stats ${shortId(result.id)} lists them all)`);
  }
  return lines;
}

function parseVcsMode(text: string): VcsBackupMode {
  if (text === 'off' || text === 'full' || text === 'changes') return text;
  throw usageError(`--vcs wants off, full or changes, not ${JSON.stringify(text)}`);
}

function partialSummary(warnings: readonly BackupWarning[]): string {
  const n = warnings.filter((w) => w.kind === 'unreadable' || w.kind === 'changed').length;
  return `${n} ${n === 1 ? 'file' : 'files'} could not be read, or changed while read`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseMeta(pairs: readonly string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--meta wants key=value, got ${JSON.stringify(pair)}`);
    meta[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return meta;
}

/** A `--time` value: an ISO 8601 time a snapshot can record; ERR_USAGE otherwise. */
export function parseTime(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw usageError(`--time wants an ISO 8601 time, got ${JSON.stringify(value)}`);
  // A snapshot's time is a signed 64-bit count of nanoseconds.
  if (Math.abs(date.getTime()) > 9_223_372_036_854) throw usageError(`--time wants a time from 1677-09-22 to 2262-04-11, got ${JSON.stringify(value)}`);
  return date;
}

/** What keeping the repository under its size limit took: snapshots forgotten (as the retention policy allows), bytes freed. */
function quotaLines(result: BackupResult): string[] {
  const quota = result.quota;
  if (quota === undefined || quota.limit === null) return [];
  const lines: string[] = [];
  if (quota.forgotten.length > 0 || quota.freed > 0) {
    lines.push(`size limit: forgot ${quota.forgotten.length} snapshot(s) the retention policy lets go${quota.forgotten.length > 0 ? ` (${quota.forgotten.map(shortId).join(', ')})` : ''}, freed ${formatBytes(quota.freed)}; the repository holds ${formatBytes(quota.sizeAfter)} of ${formatBytes(quota.limit)}`);
  }
  if (quota.warning !== undefined) lines.push(`warning: ${quota.warning}`);
  return lines;
}
