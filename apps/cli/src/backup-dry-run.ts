/**
 * `cairn backup --dry-run`: the walk of a real backup (same parent, policy and unchanged-file
 * test) that writes nothing; it lists each file it would store (new or changed) as it goes, then
 * what the policy would skip and the summary.
 */
import { CairnError, isCairnError } from '@cairn/core';
import { dryRunBackup, EXCLUDED_CLASS } from '@cairn/repository';
import type { BackupEntry, BackupOptions, DryRunResult, Repository } from '@cairn/repository';
import { EXIT, openRepo, printJson, repoLocation } from './context.js';
import type { GlobalOptions } from './context.js';
import { formatBytes, shortId } from './format.js';
import { withInterrupt } from './interrupt.js';
import { workingCopiesJson } from './snapshot-report.js';

/** How the dry run reports. */
export interface DryRunOutput {
  readonly json: boolean;
  /** No list of entries (the summary only). */
  readonly quiet: boolean;
}

/** Opens the repository for a dry run: only reads it, and never creates the default one. */
export async function openForDryRun(options: GlobalOptions): Promise<Repository> {
  try {
    return await openRepo(options);
  } catch (error) {
    const { path, isDefault } = repoLocation(options);
    if (!isDefault || !isCairnError(error, 'ERR_NOT_REPOSITORY')) throw error;
    throw new CairnError('ERR_NOT_REPOSITORY', `no repository yet at ${path} (the default), and a dry run creates none`, {
      hint: 'the first backup without --dry-run creates it; or point --repo / CAIRN_REPO at an existing repository',
      cause: error,
    });
  }
}

/** True for what a dry run lists: a file it would read and store. */
function stored(entry: BackupEntry): boolean {
  return entry.type === 'file' && (entry.status === 'new' || entry.status === 'changed');
}

/** Runs the dry run with the options of the backup it stands for, prints what it found and sets the exit code. */
export async function runDryRun(repo: Repository, optionsFor: (signal: AbortSignal) => BackupOptions, output: DryRunOutput): Promise<void> {
  const listed: BackupEntry[] = [];
  const result = await withInterrupt((signal) => dryRunBackup(repo, {
    ...optionsFor(signal),
    onEntry: (entry) => {
      if (!stored(entry)) return;
      if (output.json) listed.push(entry);
      else if (!output.quiet) process.stdout.write(`${entry.status === 'new' ? 'new    ' : 'changed'}  ${entry.path}  ${formatBytes(entry.size)}\n`);
    },
  }));
  if (output.json) {
    printJson({
      dryRun: true, partial: result.partial, parent: result.parent, tree: result.tree, paths: result.paths, summary: result.summary,
      stored: listed, skipped: result.skipped, classes: result.classes, warnings: result.warnings,
      workingCopies: workingCopiesJson({ vcs: [...result.vcs] }),
    });
  } else {
    process.stdout.write(summaryLines(result, output.quiet).join('\n') + '\n');
  }
  if (result.partial) process.exitCode = EXIT.partial;
}

function summaryLines(result: DryRunResult, quiet: boolean): string[] {
  const s = result.summary;
  const skipped = result.skipped.filter((entry) => entry.class !== 'vcs');
  const excluded = skipped.filter((entry) => entry.class === EXCLUDED_CLASS).length;
  const policed = skipped.length - excluded;
  return [
    ...(quiet ? [] : skipped.map((entry) => `skipped  ${entry.path}  [${entry.class}] ${entry.reason}`)),
    `dry run: nothing was written${result.parent === null ? ' (no parent snapshot: every file is new)' : ` (compared with snapshot ${shortId(result.parent)})`}`,
    `files: would store ${s.filesNew} new, ${s.filesChanged} changed; ${s.filesUnchanged} unchanged${s.filesReferenced > 0 ? `, ${s.filesReferenced} by reference` : ''}; ${s.dirs} folders, ${s.symlinks} symlinks, ${s.others} other`,
    ...(policed === 0 ? [] : [`skipped by policy (--no-policy keeps everything): ${policed}`]),
    ...(excluded === 0 ? [] : [`excluded by the exclude flags: ${excluded}`]),
    `would read ${formatBytes(s.bytesRead)}, would add ${formatBytes(s.bytesAdded)} before compression in ${s.dataBlobsAdded + s.treeBlobsAdded} new blobs`,
    ...(result.partial ? [`partial: some files could not be read (see the warnings); a real backup would be partial (exit code ${EXIT.partial})`] : []),
  ];
}
