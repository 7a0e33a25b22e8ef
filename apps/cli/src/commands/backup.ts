import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backup, COMPRESSION_MODES, parseCompressionMode, resolveBackupPaths } from '@cairn/repository';
import type { BackupWarning } from '@cairn/repository';
import { createLocalSource } from '@cairn/transport';
import { EXIT, globals, openOrCreateRepo, printJson, repoLocation } from '../context.js';
import { formatBytes } from '../format.js';
import { shorten, startStatus } from '../progress.js';

interface BackupFlags {
  readonly tag: string[];
  readonly description?: string;
  readonly meta: string[];
  readonly host?: string;
  readonly parent?: string;
  readonly time?: string;
  readonly quiet?: boolean;
  readonly force?: boolean;
  readonly compression?: string;
}

/** `cairn backup <paths…>` */
export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('back up files and folders into a new snapshot')
    .argument('<paths...>', 'files or folders to back up; each is named by its last component in the snapshot')
    .option('--tag <tag>', 'tag the snapshot (repeatable)', collect, [])
    .option('--description <text>', 'a description kept with the snapshot')
    .option('--meta <key=value>', 'custom metadata kept with the snapshot (repeatable)', collect, [])
    .option('--host <name>', 'record this host name instead of the machine\'s')
    .option('--parent <snapshot>', 'compare against this snapshot (default: the latest of the same paths and host)')
    .option('--time <iso-time>', 'record this time instead of now')
    .option('--force', 'read every file, even those whose size, mtime, ctime and inode match the parent snapshot')
    .option('--compression <mode>', `compression of new data: ${COMPRESSION_MODES.join(', ')} (default: the repository's, normally auto)`)
    .option('-q, --quiet', 'print no progress and no warnings')
    .action(async (paths: string[], flags: BackupFlags, command: Command) => {
      const options = globals(command);
      const compression = flags.compression === undefined ? undefined : parseCompressionMode(flags.compression);
      const source = createLocalSource();
      await resolveBackupPaths(source, paths); // fail on a missing path before anything is written
      const repo = await openOrCreateRepo(options);
      // Never back the repository up into itself (`cairn backup ~` with the default repository).
      const repoPath = resolve(repoLocation(options).path);
      if (paths.some((p) => repoPath.startsWith(`${resolve(p)}/`)) && flags.quiet !== true) {
        process.stderr.write(`note: not backing up the repository itself (${repoPath})\n`);
      }
      // Ctrl-C (or SIGTERM) stops cleanly: packs already written get indexed, no snapshot is made.
      // A second one ends the process at once.
      const stop = new AbortController();
      const interrupt = (): void => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on('SIGINT', interrupt).on('SIGTERM', interrupt);
      const status = startStatus('{files} files, {dirs} dirs, {read} read, {added} added  {path}', flags.quiet !== true);
      const result = await backup(repo, {
        source,
        paths,
        skip: [repoPath],
        tags: flags.tag,
        meta: parseMeta(flags.meta),
        ...(flags.description === undefined ? {} : { description: flags.description }),
        ...(flags.host === undefined ? {} : { hostname: flags.host }),
        ...(flags.parent === undefined ? {} : { parent: flags.parent }),
        ...(flags.time === undefined ? {} : { time: parseTime(flags.time) }),
        ...(compression === undefined ? {} : { compression }),
        force: flags.force === true,
        signal: stop.signal,
        onProgress: (p) => status.update({ files: String(p.files), dirs: String(p.dirs), read: formatBytes(p.bytesRead), added: formatBytes(p.bytesAdded), path: shorten(p.path) }),
        onWarning: (w) => {
          if (flags.quiet !== true && options.json !== true) process.stderr.write(`warning: ${w.message}\n`);
        },
      }).finally(() => {
        status.stop();
        process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
      });
      const s = result.snapshot.summary;
      if (options.json === true) {
        printJson({ id: result.id, partial: result.partial, warnings: result.warnings, summary: s, paths: result.snapshot.paths });
      } else {
        process.stdout.write(
          [
            `snapshot ${result.id} saved`,
            `files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnchanged} unchanged; ${s.dirs} folders, ${s.symlinks} symlinks, ${s.others} other`,
            `read ${formatBytes(s.bytesRead)}, added ${formatBytes(s.bytesAdded)} in ${s.dataBlobsAdded + s.treeBlobsAdded} blobs (${s.packsAdded} packs) in ${(s.durationMs / 1000).toFixed(2)} s`,
            ...(result.partial ? [`partial: ${partialSummary(result.warnings)} (see the warnings); exit code ${EXIT.partial}`] : []),
          ].join('\n') + '\n',
        );
      }
      if (result.partial) process.exitCode = EXIT.partial;
    });
}

function partialSummary(warnings: readonly BackupWarning[]): string {
  const n = warnings.filter((w) => w.kind !== 'special').length;
  return `${n} ${n === 1 ? 'file' : 'files'} could not be read, or changed while read`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseMeta(pairs: readonly string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new TypeError(`--meta wants key=value, got ${JSON.stringify(pair)}`);
    meta[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return meta;
}

function parseTime(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new TypeError(`--time wants an ISO 8601 time, got ${JSON.stringify(value)}`);
  return date;
}
