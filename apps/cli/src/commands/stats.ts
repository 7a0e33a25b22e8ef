import type { Command } from 'commander';
import { isEmptyFilter, stats } from '@cairn/repository';
import type { Snapshot } from '@cairn/index';
import { globals, openRepo, printJson, repoLocation, resolveSnapshot } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { addSnapshotFilterFlags, snapshotFilter } from '../snapshot-filter.js';
import type { SnapshotFilterFlags } from '../snapshot-filter.js';
import { usageError } from '../usage.js';
import { skippedLine, viewState, workingCopiesJson } from '../snapshot-report.js';

/** `cairn stats` */
export function registerStats(program: Command): void {
  addSnapshotFilterFlags(program
    .command('stats')
    .description('show what the repository holds: sizes, compression and deduplication; with a snapshot, what that backup stored, by class')
    .argument('[snapshot]', 'a snapshot (id, prefix or "latest"): its counts, file classes, skipped entries and working copies'))
    .action(async (ref: string | undefined, flags: SnapshotFilterFlags, command: Command) => {
      const options = globals(command);
      const filter = snapshotFilter(flags);
      if (ref === undefined && !isEmptyFilter(filter)) throw usageError('--host, --path and --tag choose a snapshot: name one too, e.g. `cairn stats latest --path …`');
      const repo = await openRepo(options);
      if (ref !== undefined) {
        const { id, snapshot } = await resolveSnapshot(repo, ref, filter);
        if (options.json === true) printJson(snapshotStats(id, snapshot));
        else process.stdout.write(`${snapshotLines(id, snapshot).join('\n')}\n`);
        return;
      }
      const s = await stats(repo);
      if (options.json === true) {
        printJson(s);
        return;
      }
      process.stdout.write(
        [
          `repository:        ${repoLocation(options).path}`,
          `snapshots:         ${s.snapshots}`,
          `restore size:      ${formatBytes(s.restoreBytes)} in ${s.restoreFiles} files (all snapshots)`,
          `unique data:       ${formatBytes(s.uniqueBytes)} in ${s.dataBlobs} blobs (+ ${s.treeBlobs} trees)`,
          `stored:            ${formatBytes(s.packBytes)} in ${s.packs} packs`,
          `in use:            ${formatBytes(s.usedBytes)} (${formatBytes(s.unusedBytes)} no snapshot uses: \`cairn prune\` frees it)`,
          `compression:       ${s.compressionRatio.toFixed(2)}x`,
          `deduplication:     ${s.dedupRatio.toFixed(2)}x`,
          ...(s.deltaBlobs === 0 ? [] : [`deltas:            ${s.deltaBlobs} blobs, ${formatBytes(s.deltaBytes)} stored in ${formatBytes(s.deltaStoredBytes)}`]),
          ...(s.groupedBlobs === 0 ? [] : [`groups:            ${s.groupedBlobs} small blobs in ${s.groups} groups`]),
        ].join('\n') + '\n',
      );
    });
}

/** What one backup stored, as JSON. */
function snapshotStats(id: string, snapshot: Snapshot) {
  return {
    id,
    summary: snapshot.summary,
    classes: snapshot.classes ?? {},
    skipped: snapshot.skipped ?? [],
    workingCopies: workingCopiesJson(snapshot),
  };
}

/** What one backup stored, as lines. */
function snapshotLines(id: string, snapshot: Snapshot): string[] {
  const s = snapshot.summary;
  const lines = [
    `snapshot:          ${shortId(id)}`,
    `files:             ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnchanged} unchanged, ${s.filesReferenced} by reference`,
    `read, added:       ${formatBytes(s.bytesRead)}, ${formatBytes(s.bytesAdded)}`,
  ];
  const classes = Object.entries(snapshot.classes ?? {});
  if (classes.length === 0) lines.push('classes:           not recorded (a backup without a policy)');
  for (const [name, count] of classes) lines.push(`  ${name.padEnd(17)}${String(count.files).padStart(8)} files  ${formatBytes(count.bytes)}`);
  const skipped = snapshot.skipped ?? [];
  lines.push(`skipped:           ${skipped.length}`);
  for (const entry of skipped) lines.push(skippedLine(entry));
  for (const copy of snapshot.vcs ?? []) {
    const view = viewState(copy);
    lines.push(`working copy:      ${copy.path} (${view.vcs}, ${view.at}; ${copy.mode})`);
  }
  return lines;
}
