/**
 * `cairn backup --stdin [--stdin-filename NAME]`: standard input stored as the one file `/NAME`
 * (default `stdin`) of a new snapshot, read as it comes (never held whole).
 */
import type { Source } from '@cairn/core';
import { createStreamSource } from '@cairn/transport';
import { parseFlag, usageError } from './usage.js';

/** The name `--stdin` stores standard input under when --stdin-filename is not given (restic's). */
export const DEFAULT_STDIN_NAME = 'stdin';

/** What a backup reads instead of paths. */
export interface StdinInput {
  readonly source: Source;
  /** The one path to back up: the file's name (the snapshot records `/NAME`). */
  readonly paths: string[];
}

/**
 * The source of `backup --stdin`, or null without --stdin. ERR_USAGE for --stdin with paths,
 * --stdin-filename without --stdin, a name that is not one entry name, or a terminal on stdin.
 */
export function stdinInput(paths: readonly string[], flags: { readonly stdin?: boolean; readonly stdinFilename?: string }): StdinInput | null {
  if (flags.stdin !== true) {
    if (flags.stdinFilename !== undefined) throw usageError('backup: --stdin-filename names the file --stdin stores; give --stdin too');
    return null;
  }
  if (paths.length > 0) throw usageError(`backup: --stdin stores standard input and takes no paths (got ${JSON.stringify(paths[0])}); back up paths in a separate backup`);
  if (process.stdin.isTTY === true) throw usageError('backup --stdin: standard input is a terminal; pipe the data in, e.g. pg_dump mydb | cairn backup --stdin --stdin-filename mydb.sql');
  const name = flags.stdinFilename ?? DEFAULT_STDIN_NAME;
  const source = parseFlag('--stdin-filename', name, (given) => createStreamSource(process.stdin, { name: given }));
  return { source, paths: [name] };
}
