import type { Command } from 'commander';
import { CairnError, isCairnError } from '@cairn/core';
import { copySnapshots, describeFilter, openRepository } from '@cairn/repository';
import type { CopyResult, Repository, SnapshotFilter } from '@cairn/repository';
import { openBackend } from '../backend.js';
import { EXIT, globals, openRepo, printJson } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { entryError } from '../output.js';
import { readPassword } from '../password.js';
import { startProgress } from '../progress.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { usageError } from '../usage.js';

interface CopyFlags extends SnapshotFilterFlags {
  readonly fromRepo?: string;
  readonly fromPasswordFile?: string;
}

/** `cairn copy --from-repo <location> [snapshots…]` */
export function registerCopy(program: Command): void {
  addSnapshotFilterFlags(program
    .command('copy')
    .description('copy snapshots with their data from another repository into this one (what it already holds is skipped; deduplication is kept)')
    .argument('[snapshots...]', 'source snapshot ids, unique id prefixes or "latest" (default: every snapshot the --host/--path/--tag filters select)')
    .option('--from-repo <location>', 'the repository to copy from: a folder or sftp:, s3:, rclone:, rest: (else $CAIRN_FROM_REPO)')
    .option('--from-password-file <file>', 'the password of an encrypted source repository, in the first line of this file (else $CAIRN_FROM_PASSWORD, $CAIRN_FROM_PASSWORD_COMMAND or a prompt)'))
    .action(async (refs: string[], flags: CopyFlags, command: Command) => {
      const options = globals(command);
      const filter = snapshotFilter(flags);
      const from = fromLocation(flags);
      // Both repositories are opened (read only) before anything is written: a wrong source or password changes nothing.
      const source = await openSource(from, flags.fromPasswordFile);
      const destination = await openRepo(options);
      const progress = startProgress({ command: 'copy', enabled: options.quiet !== true, initial: { phase: 'snapshots', done: 0, total: null, bytesDone: 0, bytesTotal: null } });
      const result = await withInterrupt((signal) => copySnapshots(source, destination, {
        snapshots: refs,
        filter,
        signal,
        onProgress: (p) => progress.set({ phase: p.snapshot === null ? 'snapshots' : `snapshot ${shortId(p.snapshot)}`, done: p.snapshotsDone, total: p.snapshotsTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
      })).finally(() => progress.stop());
      for (const f of result.failed) entryError(`snapshot ${shortId(f.source)} was not copied: ${f.message}`, { snapshot: f.source, code: f.code });
      if (options.json === true) printJson(result);
      else process.stdout.write(describeCopy(result, filter, refs.length > 0));
      if (result.failed.length > 0) process.exitCode = result.copied.length + result.skipped.length > 0 ? EXIT.partial : EXIT.error;
    });
}

/** The source location: --from-repo, else CAIRN_FROM_REPO; ERR_USAGE when neither names one. */
function fromLocation(flags: CopyFlags): string {
  if (flags.fromRepo === '') throw usageError('--from-repo: an empty location ("") names no repository');
  const location = flags.fromRepo ?? process.env['CAIRN_FROM_REPO'];
  if (location === undefined || location === '') {
    throw usageError('copy needs the repository to copy from: give --from-repo <location> (or set CAIRN_FROM_REPO)');
  }
  return location;
}

/** Opens the source repository, its password from --from-password-file, CAIRN_FROM_PASSWORD, CAIRN_FROM_PASSWORD_COMMAND or a prompt. */
async function openSource(location: string, passwordFile: string | undefined): Promise<Repository> {
  const password = (): Promise<string> => readPassword({
    file: passwordFile,
    env: { password: 'CAIRN_FROM_PASSWORD', command: 'CAIRN_FROM_PASSWORD_COMMAND' },
    prompt: `the password for the source repository at ${location}`,
    missing: `the source repository at ${location} is encrypted: no password was given for it`,
    flag: '--from-password-file',
  });
  try {
    return await openRepository(openBackend(location), { password });
  } catch (error) {
    if (isCairnError(error, 'ERR_PASSWORD') && !error.message.includes('no password was given')) {
      throw new CairnError('ERR_PASSWORD', `source repository: ${error.message}`, { hint: 'check --from-password-file, CAIRN_FROM_PASSWORD or CAIRN_FROM_PASSWORD_COMMAND', cause: error });
    }
    if (isCairnError(error, 'ERR_NOT_REPOSITORY')) {
      throw new CairnError('ERR_NOT_REPOSITORY', `source repository: ${error.message}`, { hint: 'check --from-repo (or CAIRN_FROM_REPO): it names the repository to copy from', cause: error });
    }
    throw error;
  }
}

/** What `cairn copy` prints: each snapshot copied or skipped, the totals, and the notes on cost. */
function describeCopy(result: CopyResult, filter: SnapshotFilter, named: boolean): string {
  const lines: string[] = [];
  for (const c of result.copied) lines.push(`copied snapshot ${shortId(c.source)}${c.destination === c.source ? '' : ` as ${shortId(c.destination)}`}`);
  for (const s of result.skipped) lines.push(`skipped snapshot ${shortId(s.source)}: the destination holds it already (${shortId(s.destination)})`);
  const total = result.copied.length + result.skipped.length + result.failed.length;
  if (total === 0) {
    lines.push(`nothing to copy: no source snapshot matches ${named ? 'the snapshots named' : describeFilter(filter)}`);
    return `${lines.join('\n')}\n`;
  }
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(`copied ${plural(result.copied.length, 'snapshot')}, skipped ${result.skipped.length}${result.failed.length > 0 ? `, failed ${result.failed.length}` : ''}; `
    + `added ${plural(result.dataBlobsAdded, 'data blob')} and ${plural(result.treeBlobsAdded, 'tree')}, ${formatBytes(result.bytesAdded)} in ${plural(result.packsAdded, 'pack')}${result.packsCopiedWhole > 0 ? ` (${result.packsCopiedWhole} copied as they are)` : ''} (read ${formatBytes(result.bytesRead)} of data from the source)`);
  if (!result.idsAlike && result.copied.length > 0) {
    lines.push('note: the two repositories name content with different keys (one is encrypted, or their keys differ): every blob copied was hashed again and its trees rewritten, so the copies have new ids (their meta "copied-from" names the source snapshot)');
  }
  if (result.chunkerDiffers && result.copied.length > 0) {
    lines.push('note: the two repositories cut files with different chunker parameters: blobs were copied as they are, so a later backup of the same files into this repository stores their data again (once); see docs/FORMAT.md, "Copying between repositories"');
  }
  return `${lines.join('\n')}\n`;
}
