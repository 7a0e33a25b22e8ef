import type { Command } from 'commander';
import { restore } from '@cairn/repository';
import type { Repository, RestoreResult } from '@cairn/repository';
import { createDeviceTarget } from '@cairn/device';
import type { Device } from '@cairn/device';
import { EXIT, globals, openRepo, printJson, resolveSnapshot } from '../context.js';
import { snapshotFilter } from '../snapshot-filter.js';
import type { GlobalOptions } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { shorten, startStatus } from '../progress.js';
import { withInterrupt } from '../interrupt.js';
import { connect, wireRatio } from './device-connect.js';
import type { DeviceFlags } from './device-connect.js';
import { TRANSFER_FORMAT, TransferProgress } from './device-progress.js';

interface RestoreFlags extends DeviceFlags {
  /** Snapshot paths or globs to restore (not a snapshot filter: `device restore` takes --host and --tag only). */
  readonly path: string[];
  readonly host?: string[];
  readonly tag?: string[];
  readonly to: string;
  readonly compress: boolean;
  readonly dryRun?: boolean;
  readonly quiet?: boolean;
}

/**
 * `cairn device restore <snapshot> --port PORT [--path P…]`: puts a snapshot (or paths of it)
 * on the board below --to, each file verified by the board. With --port sim and --sim-root,
 * the simulated board's flash is written back to that folder afterwards. Ctrl-C stops it between
 * files (what is on the board stays, each file whole or not there: the target writes through a
 * temporary name).
 */
export async function deviceRestore(ref: string, flags: RestoreFlags, command: Command): Promise<void> {
  const options = globals(command);
  const repo = await openRepo(options);
  const { id } = await resolveSnapshot(repo, ref, snapshotFilter({ ...(flags.host === undefined ? {} : { host: flags.host }), ...(flags.tag === undefined ? {} : { tag: flags.tag }) }));
  const device = await connect(flags, { compress: flags.compress, create: true });
  let outcome: { result: RestoreResult; totalFiles: number; totalBytes: number };
  try {
    outcome = await withInterrupt((signal) => restoreBoard(repo, id, device, flags, options, signal));
    if (flags.simRoot !== undefined && flags.dryRun !== true) await device.sim?.saveFlash(flags.simRoot);
  } finally {
    await device.close();
  }
  const { result, totalFiles, totalBytes } = outcome;
  // Every byte of the session: entering the raw REPL, the helper, what was asked of the board, the files, leaving.
  const wire = { sent: device.wire.sent, received: device.wire.received };
  const wireBytes = wire.sent + wire.received;
  const where = `${device.port}:${flags.to}`;
  if (flags.dryRun === true && options.json !== true) {
    const unchanged = result.skipped > 0 ? `; ${result.skipped} files already on the board are left as they are` : '';
    process.stdout.write(`would restore ${totalFiles} files (${formatBytes(totalBytes)}) from ${shortId(result.snapshotId)} to ${where}${unchanged}\n`);
    return;
  }
  if (options.json === true) printJson({ ...result, wireBytes, wire });
  else {
    const unchanged = result.skipped > 0 ? `, ${result.skipped} unchanged files left as they are` : '';
    process.stdout.write(`restored ${result.files} files, ${result.dirs} folders (${formatBytes(result.bytesWritten)}) from ${shortId(result.snapshotId)} to ${where}${unchanged}, each verified by the board; ${formatBytes(wireBytes)} on the link (${wireRatio(wireBytes, result.bytesWritten)} per byte written)\n`);
    if (result.problems.length > 0) process.stdout.write(`${result.problems.length} entries could not be restored (see above); exit code ${EXIT.partial}\n`);
  }
  if (result.problems.length > 0) process.exitCode = EXIT.partial;
}

/**
 * A dry run for the progress totals (it asks the board what exists and which files already
 * hold their content), then the restore, through one target: what the board said is asked once.
 */
async function restoreBoard(repo: Repository, ref: string, device: Device, flags: RestoreFlags, options: GlobalOptions, signal: AbortSignal): Promise<{ result: RestoreResult; totalFiles: number; totalBytes: number }> {
  let progress: TransferProgress | undefined;
  let status: ReturnType<typeof startStatus> | undefined;
  const target = createDeviceTarget(device, flags.to, {
    onBytes: (bytes, path) => {
      progress?.addBytes(bytes);
      if (progress !== undefined) status?.update({ ...progress.payload(), path: shorten(path, 40) });
    },
    onFile: (path) => {
      progress?.fileDone();
      if (progress !== undefined) status?.update({ ...progress.payload(), path: shorten(path, 40) });
    },
  });
  let totalFiles = 0;
  let totalBytes = 0;
  const planned = await restore(repo, ref, {
    target,
    include: flags.path,
    dryRun: true,
    signal,
    onAction: (a) => {
      if (a.type !== 'file' || a.action === 'skip') return;
      totalFiles += 1;
      totalBytes += a.size;
    },
  });
  if (flags.dryRun === true) return { result: planned, totalFiles, totalBytes };
  progress = new TransferProgress(totalFiles, totalBytes);
  status = startStatus(TRANSFER_FORMAT, flags.quiet !== true);
  status.update({ ...progress.payload(), path: '' });
  try {
    const result = await restore(repo, planned.snapshotId, {
      target,
      include: flags.path,
      signal,
      onProblem: (p) => {
        if (options.json !== true) process.stderr.write(`error: ${p.message}\n`);
      },
    });
    return { result, totalFiles, totalBytes };
  } finally {
    status.stop();
  }
}
