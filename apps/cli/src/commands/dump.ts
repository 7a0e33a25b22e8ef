import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { fromSystemError } from '@cairn/core';
import { ARCHIVE_FORMATS, dumpArchive, dumpFile } from '@cairn/repository';
import type { ArchiveFormat } from '@cairn/repository';
import { globals, openRepo, resolveSnapshot } from '../context.js';
import { withInterrupt } from '../interrupt.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { usageError } from '../usage.js';

interface DumpFlags extends SnapshotFilterFlags {
  readonly archive?: string;
  readonly output?: string;
}

/**
 * `cairn dump <snapshot>:<path>` or `cairn dump <snapshot> <path>`: one file's bytes on stdout;
 * with --archive, files and folders (or the whole snapshot) as one tar, tar.zst or zip archive.
 */
export function registerDump(program: Command): void {
  addSnapshotFilterFlags(program
    .command('dump')
    .description('write one file of a snapshot to stdout; with --archive, folders, several paths or the whole snapshot as one archive')
    .argument('<snapshot[:path]>', 'snapshot id, unique id prefix, or "latest", with the path after a colon: latest:proj/a.txt')
    .argument('[paths...]', 'the file in the snapshot, as `cairn ls` shows it (instead of after the colon); with --archive, any number of files and folders')
    .option('--archive <format>', `write an archive instead of one file's bytes: ${ARCHIVE_FORMATS.join(', ')} (no path: the whole snapshot)`)
    .option('-o, --output <file>', 'write to this file (replaced once complete) instead of stdout'))
    .action(async (given: string, rest: string[], flags: DumpFlags, command: Command) => {
      const format = flags.archive === undefined ? undefined : parseFormat(flags.archive);
      const { ref, paths } = format === undefined ? single(given, rest) : several(given, rest);
      // An archive is bytes for a program, not for a screen.
      if (format !== undefined && flags.output === undefined && process.stdout.isTTY === true) {
        throw usageError(`dump --archive ${format}: standard output is a terminal; give -o FILE or redirect it (cairn dump ${given} --archive ${format} > out.${format})`);
      }
      const options = globals(command);
      const repo = await openRepo(options);
      const { id } = await resolveSnapshot(repo, ref, snapshotFilter(flags));
      // Each blob checked against its id; each chunk written (and the write done) before the next
      // is asked for, so an archive's buffers are reused (reuseChunks).
      await withInterrupt(async (signal) => {
        const bytes = format === undefined ? dumpFile(repo, id, paths[0]!, { signal }) : dumpArchive(repo, id, paths, { format, signal, reuseChunks: true });
        await (flags.output === undefined ? toStdout(bytes) : toFile(bytes, flags.output));
      });
    });
}

async function toStdout(bytes: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of bytes) await written(process.stdout, chunk);
}

/** Writes `chunk` and waits until the stream is done with it (its buffer may then be reused). */
function written(stream: NodeJS.WritableStream, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

/** Writes under a temporary name beside `file`, renamed over it once complete: a failed dump leaves `file` as it was. */
async function toFile(bytes: AsyncIterable<Uint8Array>, file: string): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.cairn-${process.pid}.tmp`);
  const out = createWriteStream(temporary, { flags: 'wx' });
  try {
    await once(out, 'open');
    for await (const chunk of bytes) await written(out, chunk);
    out.end();
    await once(out, 'finish');
    await rename(temporary, file);
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error instanceof Error && 'syscall' in error ? fromSystemError(error, file) : error;
  }
}

function parseFormat(text: string): ArchiveFormat {
  const format = ARCHIVE_FORMATS.find((name) => name === text);
  if (format === undefined) throw usageError(`--archive wants ${ARCHIVE_FORMATS.join(', ')}, not ${JSON.stringify(text)}`);
  return format;
}

/** With --archive: the snapshot and every path (after the colon and after it); none is the whole snapshot. */
function several(given: string, rest: readonly string[]): { ref: string; paths: string[] } {
  const colon = given.indexOf(':');
  const ref = colon < 0 ? given : given.slice(0, colon);
  if (ref === '') throw usageError(`dump needs a snapshot before the colon (an id, a prefix or "latest"), not ${JSON.stringify(given)}`);
  const first = colon < 0 ? [] : [given.slice(colon + 1)];
  const paths = [...first, ...rest];
  if (paths.some((path) => path === '')) throw usageError('dump --archive: an empty path ("") names nothing; give "/" for the whole snapshot, or no path');
  return { ref, paths };
}

/** The snapshot and the path from `snap:path`, or from `snap path`; ERR_USAGE when either is missing. */
function single(given: string, rest: readonly string[]): { ref: string; paths: [string] } {
  const second = rest[0];
  if (rest.length > 1) throw usageError(`dump writes one file's bytes; give --archive tar (or tar.zst, zip) to dump ${rest.length} paths as one archive`);
  if (second !== undefined) {
    if (given.includes(':')) throw usageError(`give the path after the colon or as a second argument, not both: ${JSON.stringify(given)} and ${JSON.stringify(second)}`);
    if (second === '') throw usageError('dump needs the path of a file in the snapshot, not ""');
    return { ref: given, paths: [second] };
  }
  const colon = given.indexOf(':');
  if (colon < 0) throw usageError(`dump needs a file: <snapshot>:<path> (e.g. latest:proj/a.txt) or <snapshot> <path>, not just ${JSON.stringify(given)}`);
  const ref = given.slice(0, colon);
  const path = given.slice(colon + 1);
  if (ref === '') throw usageError(`dump needs a snapshot before the colon (an id, a prefix or "latest"), not ${JSON.stringify(given)}`);
  if (path === '') throw usageError(`dump needs the path of a file after the colon, not ${JSON.stringify(given)}`);
  return { ref, paths: [path] };
}
