import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fileVersions, restoreFile, verifyFileContent } from '@cairn/repository';
import type { FileVersion, FileVersionsResult, Repository, SnapshotFilter } from '@cairn/repository';
import { createLocalTarget } from '@cairn/transport';
import { EXIT, globals, openRepo, resolveSnapshot } from '../context.js';
import { formatBytes, formatTime, shortId } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { emit, emitItem, warn } from '../output.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { usageError } from '../usage.js';

interface VersionsFlags extends SnapshotFilterFlags {
  readonly restore?: string;
  readonly verify?: string | boolean;
  readonly target?: string;
  readonly overwrite?: boolean;
}

/** How many other snapshots a line names before "+N more". */
const ALSO_SHOWN = 3;

/** `cairn versions <path> [--restore <n|snapshot> [--target <path>] [--overwrite]]` */
export function registerVersions(program: Command): void {
  addSnapshotFilterFlags(program
    .command('versions')
    .description('every distinct version of one file across the snapshots, oldest first; --restore puts one back')
    .argument('<path>', 'the file as `cairn ls` shows it (proj/src/a.ts), or its absolute path below a backed-up folder')
    .option('--restore <version>', 'restore one version: its number (3 or v3) or a snapshot holding it (id prefix of 4+ digits, or "latest")')
    .option('--target <path>', 'with --restore: where to write it (into a folder: under the file\'s own name); default: <name>.<content id> next to the given absolute path, else in the current folder')
    .option('--overwrite', 'with --restore: replace a file already at the destination (default: refuse, write nothing)')
    .option('--verify [version]', 'read every version (or the one named) back from the repository and check it against its checksums; exit 1 when one is damaged'))
    .action(async (path: string, flags: VersionsFlags, command: Command) => {
      if (flags.restore === undefined && flags.target !== undefined) throw usageError('--target goes with --restore: say which version to restore');
      if (flags.restore === undefined && flags.overwrite === true) throw usageError('--overwrite goes with --restore: say which version to restore');
      const options = globals(command);
      const filter = snapshotFilter(flags);
      const repo = await openRepo(options);
      const result = await fileVersions(repo, path, { filter });
      for (const problem of result.problems) warn(`skipped ${problem.file}, which cannot be read: ${problem.error.message}`, { file: problem.file });
      for (const other of result.notFiles) warn(`${other.path} is a ${other.type === 'dir' ? 'folder' : other.type} in snapshot ${shortId(other.snapshotId)}, not a file: left out`, { snapshot: other.snapshotId, path: other.path });
      if (flags.verify !== undefined) {
        if (flags.restore !== undefined) throw usageError('--verify and --restore do not go together: verify first, then restore');
        await verifyVersions(repo, path, result, flags.verify === true ? undefined : String(flags.verify), filter, options.json === true);
        return;
      }
      if (flags.restore !== undefined) {
        await restoreVersion(repo, path, result, flags.restore, flags, filter, options.json === true);
        return;
      }
      if (options.json === true) printVersionsJson(path, result);
      else printVersions(path, result);
    });
}

function printVersionsJson(path: string, result: FileVersionsResult): void {
  for (const version of result.versions) {
    emitItem('version', {
      number: version.number,
      contentId: version.contentId,
      size: version.size,
      byReference: version.byReference,
      snapshots: version.holders.map((h) => ({ id: h.snapshotId, time: new Date(Number(h.time / 1_000_000n)).toISOString(), path: h.path, returned: h.returned, kind: h.kind, ...(h.reason === undefined ? {} : { reason: h.reason }) })),
    });
  }
  const holding = result.versions.reduce((n, v) => n + v.holders.length, 0);
  emit('summary', { path, count: result.versions.length, snapshots: holding, searched: result.searched, treesLoaded: result.treesLoaded });
}

function printVersions(path: string, result: FileVersionsResult): void {
  const rows = result.versions.map((version) => {
    const first = version.holders[0]!;
    const also = alsoIn(version.holders.slice(1));
    const protect = version.holders.filter((h) => h.kind === 'protect');
    const why = protect.length === 0 ? '' : ` [protect: ${protect[protect.length - 1]!.reason ?? ''}${protect.length > 1 ? `, +${protect.length - 1} more` : ''}]`;
    return [`v${version.number}`, shortId(first.snapshotId), formatTime(first.time), formatBytes(version.size), `${shortId(version.contentId)}${version.byReference ? ' (by reference)' : ''}${also}${why}`];
  });
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, i) => (i === 3 ? cell.padStart(widths[i]!) : i < 4 ? cell.padEnd(widths[i]!) : cell)).join('  ')}\n`);
  }
  const holding = result.versions.reduce((n, v) => n + v.holders.length, 0);
  process.stdout.write(`${result.versions.length} version${result.versions.length === 1 ? '' : 's'} of ${path} in ${holding} of ${result.searched} snapshots\n`);
}

/**
 * The other snapshots holding a version, as "(also in a1b2c3d4, +2 more; back in 5e6f7a8b)": a
 * snapshot where the content came back after another version is named after "back in".
 */
function alsoIn(holders: FileVersion['holders']): string {
  const list = (ids: readonly string[]): string => `${ids.slice(0, ALSO_SHOWN).join(', ')}${ids.length > ALSO_SHOWN ? `, +${ids.length - ALSO_SHOWN} more` : ''}`;
  const same = holders.filter((h) => !h.returned).map((h) => shortId(h.snapshotId));
  const back = holders.filter((h) => h.returned).map((h) => shortId(h.snapshotId));
  const parts = [...(same.length > 0 ? [`also in ${list(same)}`] : []), ...(back.length > 0 ? [`back in ${list(back)}`] : [])];
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

/** The version `which` names: a number (3, v3) or a snapshot that holds the file (id prefix of 4+ digits, or "latest"); `flag` names it in errors. */
export async function chooseVersion(repo: Repository, path: string, result: FileVersionsResult, which: string, filter: SnapshotFilter, flag = '--restore'): Promise<{ version: FileVersion; holder: FileVersion['holders'][number] }> {
  const number = /^v(\d+)$/.exec(which)?.[1] ?? (/^\d{1,3}$/.test(which) ? which : undefined);
  if (number !== undefined) {
    const version = result.versions[Number(number) - 1];
    if (version === undefined) {
      throw usageError(`${flag} ${which}: ${path} has ${result.versions.length} version${result.versions.length === 1 ? '' : 's'} (v1 to v${result.versions.length})`, `list them with \`cairn versions ${path}\``);
    }
    return { version, holder: version.holders[0]! };
  }
  const { id } = await resolveSnapshot(repo, which, filter);
  for (const version of result.versions) {
    const holder = version.holders.find((h) => h.snapshotId === id);
    if (holder !== undefined) return { version, holder };
  }
  throw usageError(`${flag} ${which}: snapshot ${shortId(id)} holds no file ${path}`, `list the snapshots that do with \`cairn versions ${path}\``);
}

/** Where a restored version goes: the folder and the name in it (see the --target flag). */
function destination(path: string, name: string, contentId: string, target: string | undefined): { folder: string; name: string } {
  if (target !== undefined) {
    if (target === '') throw usageError('--target: an empty path ("") names no file or folder; give "." for the current folder');
    const full = resolve(target);
    if (existsSync(full) && statSync(full).isDirectory()) return { folder: full, name };
    return { folder: dirname(full), name: basename(full) };
  }
  const versioned = `${name}.${shortId(contentId)}`;
  // Beside the original when the path given is the file's own absolute path and its folder is here; else the current folder.
  if (path.startsWith('/') && existsSync(dirname(path)) && statSync(dirname(path)).isDirectory()) return { folder: dirname(path), name: versioned };
  return { folder: process.cwd(), name: versioned };
}

async function restoreVersion(repo: Repository, path: string, result: FileVersionsResult, which: string, flags: VersionsFlags, filter: SnapshotFilter, json: boolean): Promise<void> {
  const { version, holder } = await chooseVersion(repo, path, result, which, filter);
  const name = holder.path.split('/').pop() ?? holder.path;
  const where = destination(path, name, version.contentId, flags.target);
  const written = await withInterrupt((signal) => restoreFile(repo, holder.snapshotId, holder.path, {
    target: createLocalTarget(where.folder),
    name: where.name,
    overwrite: flags.overwrite === true,
    signal,
  }));
  const to = join(where.folder, where.name);
  if (json) emit('summary', { path: written.path, version: version.number, snapshot: written.snapshotId, contentId: version.contentId, size: written.size, restoredTo: to });
  else process.stdout.write(`restored v${version.number} of ${written.path} (snapshot ${shortId(written.snapshotId)}, ${formatBytes(written.size)}) to ${to}\n`);
}

/** Reads every version (or the one `which` names) back and checks it: one line each; exit 1 when one is damaged. */
async function verifyVersions(repo: Repository, path: string, result: FileVersionsResult, which: string | undefined, filter: SnapshotFilter, json: boolean): Promise<void> {
  const chosen = which === undefined ? result.versions : [(await chooseVersion(repo, path, result, which, filter, '--verify')).version];
  let damaged = 0;
  for (const version of chosen) {
    const holder = version.holders[version.holders.length - 1]!;
    const checked = await withInterrupt((signal) => verifyFileContent(repo, holder.node, `v${version.number} of ${holder.path} (snapshot ${shortId(holder.snapshotId)})`, signal));
    if (!checked.ok && !version.byReference) damaged += 1;
    if (json) emitItem('verify', { number: version.number, contentId: version.contentId, size: version.size, ok: checked.ok, bytes: checked.bytes, ...(checked.problem === undefined ? {} : { problem: checked.problem }) });
    else process.stdout.write(`v${version.number}  ${shortId(version.contentId)}  ${checked.ok ? `ok (${formatBytes(checked.bytes)} read, every blob matches its checksum)` : version.byReference ? `not checked: ${checked.problem ?? ''}` : `DAMAGED: ${checked.problem ?? ''}`}\n`);
  }
  if (json) emit('summary', { path, count: chosen.length, verified: chosen.length - damaged, damaged });
  else process.stdout.write(`${chosen.length - damaged} of ${chosen.length} version${chosen.length === 1 ? '' : 's'} of ${path} verified${damaged > 0 ? `, ${damaged} damaged (\`cairn check --read-data\` says more)` : ''}\n`);
  if (damaged > 0) process.exitCode = EXIT.error;
}
