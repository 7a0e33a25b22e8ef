import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isCairnError } from '@cairn/core';
import { findSnapshot, initRepository, listSnapshots, openRepository } from '@cairn/repository';
import type { Repository, SnapshotEntry, SnapshotFilter } from '@cairn/repository';
import { openBackend } from './backend.js';
import { emitSummary, fatalErrorLine, warn } from './output.js';
import { usageError } from './usage.js';
import { passwordGiven, repositoryPassword } from './password.js';

/** Exit codes of the cairn command. */
export const EXIT = { ok: 0, error: 1, partial: 3 } as const;

/** Options every command accepts. */
export interface GlobalOptions {
  readonly repo?: string;
  readonly json?: boolean;
  /** -q: print nothing but errors and warnings (and what a listing command was asked for); no progress. */
  readonly quiet?: boolean;
  /** -v: more detail (restore lists every entry; errors show their causes). */
  readonly verbose?: boolean;
  /** --password-file: the password of an encrypted repository. */
  readonly passwordFile?: string;
}

/** The options of a command merged with the program's global ones. */
export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** The per-user repository used when neither --repo nor CAIRN_REPO names one. */
export function defaultRepoLocation(): string {
  const dataHome = process.env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(dataHome, 'cairn', 'repo');
}

/** Where the repository is and whether the user named it (--repo, then CAIRN_REPO) or it is the default; ERR_USAGE for `--repo ""`. */
export function repoLocation(options: GlobalOptions): { path: string; isDefault: boolean } {
  // An empty CAIRN_REPO counts as unset, as environment variables go; an empty --repo is a mistake.
  if (options.repo === '') throw usageError('--repo: an empty path ("") names no repository; leave --repo out for $CAIRN_REPO or the default');
  const named = options.repo ?? process.env['CAIRN_REPO'];
  return named !== undefined && named !== '' ? { path: named, isDefault: false } : { path: defaultRepoLocation(), isDefault: true };
}

/** Opens the repository the options name. */
export async function openRepo(options: GlobalOptions): Promise<Repository> {
  const { path } = repoLocation(options);
  return openRepository(openBackend(path), { password: repositoryPassword(options.passwordFile, path) });
}

/**
 * Opens the repository; the default location is created when it does not exist yet
 * (saying so on stderr). A location the user named must already hold a repository.
 */
export async function openOrCreateRepo(options: GlobalOptions): Promise<Repository> {
  const { path, isDefault } = repoLocation(options);
  const backend = openBackend(path);
  try {
    return await openRepository(backend, { password: repositoryPassword(options.passwordFile, path) });
  } catch (error) {
    if (!isDefault || !isCairnError(error, 'ERR_NOT_REPOSITORY')) throw error;
  }
  // A password given (a file, CAIRN_PASSWORD, CAIRN_PASSWORD_COMMAND) makes the new repository an encrypted one.
  const password = passwordGiven(options.passwordFile) ? await repositoryPassword(options.passwordFile, path)() : undefined;
  const repo = await initRepository(backend, password === undefined ? {} : { password });
  if (options.quiet !== true) {
    process.stderr.write(`created a new repository at ${path} (the default; choose another with --repo or CAIRN_REPO)\n`);
    process.stderr.write(password === undefined
      ? 'it is not encrypted: `cairn init --repo <path> --encryption aes-256-gcm` creates an encrypted one\n'
      : 'it is encrypted (aes-256-gcm) with the password given\n');
  }
  return repo;
}

/** The repository's snapshots, oldest first; snapshot files that cannot be read are named in a warning and skipped. */
export async function readableSnapshots(repo: Repository): Promise<SnapshotEntry[]> {
  const { snapshots, problems } = await listSnapshots(repo);
  for (const p of problems) warn(`skipped ${p.file}, which cannot be read: ${p.error.message}`, { file: p.file });
  return snapshots;
}

/**
 * The snapshot `ref` names (id, prefix or "latest", the newest that passes `filter`); unreadable
 * snapshot files that "latest" passed over are named in a warning.
 */
export async function resolveSnapshot(repo: Repository, ref: string, filter: SnapshotFilter = {}): Promise<SnapshotEntry> {
  return findSnapshot(repo, ref, {
    filter,
    onUnreadable: (p) => warn(`${p.file} cannot be read (${p.error.message}); "latest" is the newest snapshot that can`, { file: p.file }),
  });
}

/**
 * Prints a command's result for `--json`: the `summary` line of its JSON Lines (docs/JSON.md); an
 * array is a listing, one line per element typed `kind` (e.g. "snapshot"), then a summary line.
 */
export function printJson(value: unknown, kind?: string): void {
  emitSummary(value, kind);
}

/** Prints a repository object as one indented JSON document (`cairn cat` without --json). */
export function printDocument(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

/**
 * Turns an error into a message on stderr (with --json an `error` line: docs/JSON.md) and returns the exit code.
 * A CairnError is the user's to act on (ERR_USAGE: an argument the CLI or engine refused);
 * anything else, a stray TypeError or RangeError included, is a bug in cairn and says so.
 * `verbose` (-v) adds the chain of causes and, for a bug, the stack.
 */
export function reportError(error: unknown, json: boolean, verbose = false): number {
  const cairn = isCairnError(error) ? error : undefined;
  const code = cairn?.code ?? 'ERR_INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  const hint = cairn === undefined ? 'this is a bug in cairn; run again with CAIRN_DEBUG=1 for the stack and report it' : cairn.hint;
  if (json) {
    process.stderr.write(fatalErrorLine({ code, message, hint }));
  } else {
    process.stderr.write(`cairn: ${message}\n`);
    if (hint !== undefined) process.stderr.write(`hint: ${hint}\n`);
    if (verbose) {
      for (let cause = error instanceof Error ? error.cause : undefined; cause !== undefined; cause = cause instanceof Error ? cause.cause : undefined) {
        process.stderr.write(`cause: ${cause instanceof Error ? cause.message : String(cause)}\n`);
      }
    }
    if (code === 'ERR_INTERNAL' && (verbose || process.env['CAIRN_DEBUG'])) process.stderr.write(`${error instanceof Error ? (error.stack ?? '') : ''}\n`);
  }
  return EXIT.error;
}
