import type { Command } from 'commander';
import { restore } from '@cairn/repository';
import { createDeviceTarget } from '@cairn/transport/device';
import { EXIT, globals, openRepo, printJson } from '../context.js';
import { formatBytes } from '../format.js';
import { shorten, startStatus } from '../progress.js';
import { connect, wireRatio } from './device-connect.js';
import type { DeviceFlags } from './device-connect.js';
import { TRANSFER_FORMAT, TransferProgress } from './device-progress.js';

interface RestoreFlags extends DeviceFlags {
  readonly path: string[];
  readonly to: string;
  readonly compress: boolean;
  readonly dryRun?: boolean;
  readonly quiet?: boolean;
}

/**
 * `cairn device restore <snapshot> --port PORT [--path P…]`: puts a snapshot (or paths of it)
 * on the board below --to, each file verified by the board. With --port sim and --sim-root,
 * the simulated board's flash is written back to that folder afterwards.
 */
export async function deviceRestore(ref: string, flags: RestoreFlags, command: Command): Promise<void> {
  const options = globals(command);
  const repo = await openRepo(options);
  const device = await connect(flags, { compress: flags.compress, create: true });
  try {
    // What the restore will write, for the progress line: a dry run (it asks the board what exists).
    let totalFiles = 0;
    let totalBytes = 0;
    const planned = await restore(repo, ref, {
      target: createDeviceTarget(device, flags.to),
      include: flags.path,
      dryRun: true,
      onAction: (a) => {
        if (a.type !== 'file' || a.action === 'skip') return;
        totalFiles += 1;
        totalBytes += a.size;
      },
    });
    const progress = new TransferProgress(totalFiles, totalBytes);
    const status = startStatus(TRANSFER_FORMAT, flags.quiet !== true && flags.dryRun !== true);
    status.update({ ...progress.payload(), path: '' });
    const wireBefore = device.wire;
    const result = flags.dryRun === true ? planned : await restore(repo, planned.snapshotId, {
      target: createDeviceTarget(device, flags.to, {
        onBytes: (bytes, path) => {
          progress.addBytes(bytes);
          status.update({ ...progress.payload(), path: shorten(path, 40) });
        },
        onFile: (path) => {
          progress.fileDone();
          status.update({ ...progress.payload(), path: shorten(path, 40) });
        },
      }),
      include: flags.path,
      onProblem: (p) => {
        if (options.json !== true) process.stderr.write(`error: ${p.message}\n`);
      },
    });
    status.stop();
    if (flags.dryRun === true && options.json !== true) {
      process.stdout.write(`would restore ${totalFiles} files (${formatBytes(totalBytes)}) from ${planned.snapshotId.slice(0, 12)} to ${device.port}:${flags.to}\n`);
      return;
    }
    if (flags.simRoot !== undefined) await device.sim?.saveFlash(flags.simRoot);
    const wire = device.wire.sent - wireBefore.sent + device.wire.received - wireBefore.received;
    if (options.json === true) printJson({ ...result, wireBytes: wire });
    else {
      process.stdout.write(`restored ${result.files} files, ${result.dirs} folders (${formatBytes(result.bytesWritten)}) from ${result.snapshotId.slice(0, 12)} to ${device.port}:${flags.to}, each verified by the board; ${formatBytes(wire)} on the link (${wireRatio(wire, result.bytesWritten)} per byte written)\n`);
      if (result.problems.length > 0) process.stdout.write(`${result.problems.length} entries could not be restored (see above); exit code ${EXIT.partial}\n`);
    }
    if (result.problems.length > 0) process.exitCode = EXIT.partial;
  } finally {
    await device.close();
  }
}
