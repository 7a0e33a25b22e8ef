import { basename } from 'node:path';
import type { Command } from 'commander';
import { createZstdDecompressStream } from '@cairn/pack';
import { backup } from '@cairn/repository';
import type { BackupProgress } from '@cairn/repository';
import { openArchiveSource } from '@cairn/transport';
import { EXIT, globals, openOrCreateRepo, printJson } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { warn } from '../output.js';
import { FILES_AND_BYTES, startProgress } from '../progress.js';
import { parseFlag, usageError } from '../usage.js';
import { parseTime } from './backup.js';

interface ImportFlags {
  readonly prefix?: string;
  readonly host?: string;
  readonly tag: string[];
  readonly time?: string;
  readonly description?: string;
  readonly allowAbsoluteSymlinks?: boolean;
  readonly quiet?: boolean;
}

/** `cairn import <archive|->`: a tar, tar.zst or zip archive becomes a snapshot. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('store a tar, tar.gz, tar.zst or zip archive (a file, or - for standard input) as a snapshot, deduplicated against the repository')
    .argument('<archive>', 'the archive file, or - to read it from standard input (the format is told by its first bytes)')
    .option('--prefix <path>', 'record the archive as a backup of this folder (e.g. /srv/www); default /: its entries are the snapshot\'s root')
    .option('--host <name>', 'record this host name instead of the machine\'s')
    .option('--tag <tag>', 'tag the snapshot (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--time <iso-time>', 'record this time instead of now')
    .option('--description <text>', 'a description kept with the snapshot')
    .option('--allow-absolute-symlinks', 'keep symlinks to absolute paths (refused by default, as links that point outside the archive)')
    .option('-q, --quiet', 'print no progress and no warnings')
    .action(async (archive: string, flags: ImportFlags, command: Command) => {
      const options = globals(command);
      if (archive === '') throw usageError('import: an empty name ("") names no archive; give a file, or - for standard input');
      if (archive === '-' && process.stdin.isTTY === true) throw usageError('import -: standard input is a terminal; pipe the archive in, e.g. ssh host tar -c /srv | cairn import -');
      if (flags.prefix !== undefined && flags.prefix.split('/').includes('..')) throw usageError(`--prefix wants a folder path without "..", not ${JSON.stringify(flags.prefix)}`);
      const time = flags.time === undefined ? undefined : parseFlag('--time', flags.time, parseTime);
      // The archive is read and checked whole before the repository is opened: a refused entry leaves it untouched.
      const source = await withInterrupt((signal) => openArchiveSource(archive === '-' ? process.stdin : archive, {
        ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
        ...(flags.allowAbsoluteSymlinks === true ? { allowAbsoluteSymlinks: true } : {}),
        ...(time === undefined ? {} : { folderTime: time }),
        decompress: () => createZstdDecompressStream(),
        signal,
      })).finally(() => {
        // Read whole, or given up: a pipe still open must not keep the process alive.
        if (archive === '-') process.stdin.destroy();
      });
      try {
        const repo = await openOrCreateRepo(options);
        const progress = startProgress({ command: 'import', enabled: flags.quiet !== true, unknownTotal: 'an archive is read as it comes', initial: FILES_AND_BYTES });
        const result = await withInterrupt((signal) => backup(repo, {
          source,
          paths: source.paths,
          tags: flags.tag,
          meta: { archive: archive === '-' ? '-' : basename(archive), 'archive-format': source.kind },
          ...(flags.description === undefined ? {} : { description: flags.description }),
          ...(flags.host === undefined ? {} : { hostname: flags.host }),
          ...(time === undefined ? {} : { time }),
          signal,
          ...(progress.active ? { onProgress: (p: BackupProgress) => progress.set({ filesDone: p.files, filesTotal: null, bytesDone: p.bytesDone, bytesTotal: null, path: p.path }) } : {}),
          onWarning: (w) => {
            if (flags.quiet !== true && w.kind !== 'special') warn(w.message, { kind: w.kind, path: w.path });
          },
        })).finally(() => progress.stop());
        const s = result.snapshot.summary;
        if (options.json === true) {
          printJson({ id: result.id, partial: result.partial, entries: source.entries, format: source.kind, warnings: result.warnings, summary: s, paths: result.snapshot.paths, meta: result.snapshot.meta });
        } else {
          process.stdout.write([
            `snapshot ${shortId(result.id)} saved from ${archive === '-' ? 'standard input' : archive} (${source.kind}, ${source.entries} entries)`,
            `files: ${s.filesNew + s.filesChanged + s.filesUnchanged}; ${s.dirs} folders, ${s.symlinks} symlinks, ${s.others} other`,
            `read ${formatBytes(s.bytesRead)}, added ${formatBytes(s.bytesAdded)} in ${s.dataBlobsAdded + s.treeBlobsAdded} blobs (${s.packsAdded} packs) in ${(s.durationMs / 1000).toFixed(2)} s`,
          ].join('\n') + '\n');
        }
        if (result.partial) process.exitCode = EXIT.partial;
      } finally {
        await source.close();
      }
    });
}
