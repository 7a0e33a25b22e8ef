import { lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { CairnError } from '@cairn/core';
import type { Command } from 'commander';
import { absentIn, createProtector, DEFAULT_PROTECT_KEEP, fileVersions, PROTECT_REASON_KEY, snapshotKind } from '@cairn/repository';
import type { Protector, SnapshotEntry } from '@cairn/repository';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { globals, openOrCreateRepo, openRepo } from '../context.js';
import { formatTime, shortId } from '../format.js';
import { emit } from '../output.js';
import { parseNumber, usageError } from '../usage.js';
import { chooseVersion } from './versions.js';

interface ProtectFlags {
  readonly reason?: string;
  readonly keep?: string;
  readonly tool?: string;
}

/** The reason a protect snapshot gets when none is given. */
const DEFAULT_REASON = 'protected with cairn protect';

function protector(repo: Protector['repo'], tool: string | undefined, keep: number | undefined): Protector {
  return createProtector(repo, { source: createLocalSource(), target: createLocalTarget, tool: tool ?? 'cairn', ...(keep === undefined ? {} : { keep }) });
}

/** `cairn protect <file…> [--reason R] [--keep N] [--tool NAME]` */
export function registerProtect(program: Command): void {
  program
    .command('protect')
    .description(`keep a version of files before changing them: a snapshot tagged protect (see them with \`cairn versions <file>\`, put one back with \`cairn rollback <file>\`); keeps the last ${DEFAULT_PROTECT_KEEP} of each path unless --keep says otherwise`)
    .argument('<file...>', 'files or folders to protect (only they are read); one that does not exist yet is recorded as absent')
    .option('--reason <text>', `why (the snapshot's meta protect.reason; default "${DEFAULT_REASON}")`)
    .option('--keep <n>', `protect snapshots kept per path; older ones are forgotten (default ${DEFAULT_PROTECT_KEEP}; \`cairn prune\` then frees their data)`)
    .option('--tool <name>', 'the program asking, recorded in the snapshot (default "cairn")')
    .action(async (files: string[], flags: ProtectFlags, command: Command) => {
      const options = globals(command);
      const keep = flags.keep === undefined ? undefined : parseNumber('--keep', flags.keep, { min: 1, max: Number.MAX_SAFE_INTEGER, what: 'a whole number of versions per path, 1 or more' });
      if (flags.reason !== undefined && flags.reason.trim() === '') throw usageError('--reason is empty: say why the files are about to change, or leave --reason out');
      const reason = flags.reason ?? DEFAULT_REASON;
      const paths = files.map((file) => resolve(file));
      const existing = paths.filter((p) => lstatSync(p, { throwIfNoEntry: false }) !== undefined);
      if (existing.length === 0) {
        throw new CairnError('ERR_NOT_FOUND', `nothing to protect: ${paths.join(', ')} ${paths.length === 1 ? 'does' : 'do'} not exist`, { hint: 'name a file that exists (a path that does not is recorded as absent only beside one that does)' });
      }
      const protecting = protector(await openOrCreateRepo(options), flags.tool, keep);
      const handle = await protecting.protect(paths, { reason });
      await handle.commit();
      await protecting.close();
      if (options.json === true) {
        emit('summary', { snapshot: handle.snapshotId, paths: handle.paths, absent: handle.absent, reason, forgotten: handle.forgotten });
      } else if (options.quiet !== true) {
        const stored = handle.paths.filter((p) => !handle.absent.includes(p));
        if (handle.snapshotId !== null) process.stdout.write(`protected ${stored.join(', ')} in snapshot ${shortId(handle.snapshotId)}\n`);
        if (handle.absent.length > 0) process.stdout.write(`recorded as absent (a rollback removes them): ${handle.absent.join(', ')}\n`);
        if (handle.forgotten.length > 0) process.stdout.write(`forgot ${handle.forgotten.length} older protect snapshot${handle.forgotten.length === 1 ? '' : 's'} (keeping the last ${keep ?? DEFAULT_PROTECT_KEEP} per path)\n`);
      }
    });
}

/** The newest protect snapshot holding `path` (or recording it as absent), or null. */
function latestProtectOf(snapshots: readonly SnapshotEntry[], path: string): SnapshotEntry | null {
  for (let i = snapshots.length - 1; i >= 0; i -= 1) {
    const entry = snapshots[i]!;
    if (snapshotKind(entry.snapshot) === 'protect' && (entry.snapshot.paths.includes(path) || absentIn(entry).includes(path))) return entry;
  }
  return null;
}

/** `cairn rollback <file> [--to <version>]` */
export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('put a file (or a protected folder) back as a protect snapshot holds it: by default the newest protect of it; what is there now is protected first')
    .argument('<file>', 'the file or folder, as protected')
    .option('--to <version>', 'which version: its number in `cairn versions <file>` (3 or v3), or a snapshot holding it (id prefix of 4+ digits, or "latest")')
    .action(async (file: string, flags: { readonly to?: string }, command: Command) => {
      const options = globals(command);
      const path = resolve(file);
      const protecting = protector(await openRepo(options), undefined, undefined);
      const repo = protecting.repo;
      let entry: SnapshotEntry;
      let version: number | null = null;
      if (flags.to === undefined) {
        const snapshots = await protecting.snapshots();
        const found = latestProtectOf(snapshots, path);
        if (found === null) {
          throw usageError(`no protect snapshot holds ${path} (searched ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'})`, `protect it first with \`cairn protect ${file}\`, or give a version with --to (list them with \`cairn versions ${path}\`)`);
        }
        entry = found;
      } else {
        const result = await fileVersions(repo, path);
        const chosen = await chooseVersion(repo, path, result, flags.to, {}, '--to');
        version = chosen.version.number;
        entry = (await protecting.snapshots()).find((e) => e.id === chosen.holder.snapshotId) ?? (() => {
          throw usageError(`snapshot ${shortId(chosen.holder.snapshotId)} is gone`, `list the versions with \`cairn versions ${path}\``);
        })();
      }
      // What is there now is kept first, so the rollback itself can be undone (no retention: it must not forget `entry`).
      const saved = await protecting.protect([path], { reason: `before rollback to ${shortId(entry.id)}`, keep: Number.MAX_SAFE_INTEGER });
      await saved.commit();
      const result = await protecting.rollbackTo(entry, [path]);
      await protecting.close();
      const reason = entry.snapshot.meta[PROTECT_REASON_KEY];
      if (options.json === true) {
        emit('summary', { path, snapshot: entry.id, version, time: new Date(Number(entry.snapshot.time / 1_000_000n)).toISOString(), ...(reason === undefined ? {} : { reason }), restored: result.restored, removed: result.removed, saved: saved.snapshotId });
      } else if (options.quiet !== true) {
        const what = absentIn(entry).includes(path) ? 'removed it (it did not exist then)' : `${result.restored} entr${result.restored === 1 ? 'y' : 'ies'} restored${result.removed.length > 0 ? `, ${result.removed.length} removed` : ''}`;
        process.stdout.write(`rolled ${path} back to ${version === null ? '' : `v${version}, `}snapshot ${shortId(entry.id)} of ${formatTime(entry.snapshot.time)}${reason === undefined ? '' : ` (${reason})`}: ${what}\n`);
        if (saved.snapshotId !== null) process.stdout.write(`what was there is kept in snapshot ${shortId(saved.snapshotId)} (\`cairn rollback ${file} --to ${shortId(saved.snapshotId)}\` undoes this)\n`);
      }
    });
}
