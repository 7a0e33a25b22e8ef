/** The snapshot filter flags (--host, --path, --tag) every command that takes snapshots shares. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { SnapshotFilter } from '@cairn/repository';
import { splitTags } from './retention-flags.js';
import { usageError } from './usage.js';

/** The filter flags as commander gives them (`path` is absent where a command leaves it out). */
export interface SnapshotFilterFlags {
  readonly host?: string[];
  readonly path?: string[];
  readonly tag?: string[];
}

/**
 * Declares --host, --path and --tag on a command (restic's snapshot filter). `path: false`
 * leaves --path out, for a command whose --path means something else (`device restore`).
 */
export function addSnapshotFilterFlags(command: Command, options: { readonly path?: boolean } = {}): Command {
  command
    .option('--host <name>', 'only snapshots of this host (repeatable: any of them)', collect)
    .option('--tag <tags>', 'only snapshots with all these tags (comma-separated; repeatable: any of the lists; "" for untagged)', collect);
  if (options.path !== false) command.option('--path <path>', 'only snapshots whose paths include this one (repeatable: all of them); relative paths start at the current folder', collect);
  return command;
}

/** The engine's filter from the flags; ERR_USAGE for an empty --host or --path. */
export function snapshotFilter(flags: SnapshotFilterFlags): SnapshotFilter {
  for (const host of flags.host ?? []) if (host === '') throw usageError('--host: an empty name ("") matches no snapshot; leave --host out for every host');
  const paths = (flags.path ?? []).map((path) => {
    if (path === '') throw usageError('--path: an empty path ("") names no folder; give "." for the current folder');
    return resolve(path);
  });
  return { hosts: flags.host ?? [], paths, tags: (flags.tag ?? []).map(splitTags) };
}

/** Repeated values (no default: commander would print "(default: [])" in the help). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
