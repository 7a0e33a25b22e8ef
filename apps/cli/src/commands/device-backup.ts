import type { Command } from 'commander';
import { backup, resolveBackupPaths } from '@cairn/repository';
import type { BackupResult } from '@cairn/repository';
import { createDeviceSource } from '@cairn/device';
import type { Device } from '@cairn/device';
import { EXIT, globals, openOrCreateRepo, printJson } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { formatBytes, shortId } from '../format.js';
import { withInterrupt } from '../interrupt.js';
import { shorten, startStatus } from '../progress.js';
import { boardHostname, connect, wireRatio } from './device-connect.js';
import type { DeviceFlags } from './device-connect.js';
import { TRANSFER_FORMAT, TransferProgress } from './device-progress.js';

interface BackupFlags extends DeviceFlags {
  readonly path: string[];
  readonly tag: string[];
  readonly description?: string;
  readonly host?: string;
  readonly compress: boolean;
  readonly trustMtime?: boolean;
  readonly quiet?: boolean;
}

/** `cairn device backup --port PORT [--path P…]`: a snapshot of the board's filesystem. */
export async function deviceBackup(flags: BackupFlags, command: Command): Promise<void> {
  const options = globals(command);
  const device = await connect(flags, { compress: flags.compress });
  let result: BackupResult;
  try {
    result = await backupBoard(device, flags, options);
  } finally {
    await device.close();
  }
  // Every byte of the session: entering the raw REPL, the helper, listings, reads, digests, leaving.
  const wire = { sent: device.wire.sent, received: device.wire.received };
  const wireBytes = wire.sent + wire.received;
  const s = result.snapshot.summary;
  if (options.json === true) {
    printJson({ id: result.id, partial: result.partial, warnings: result.warnings, summary: s, paths: result.snapshot.paths, hostname: result.snapshot.hostname, wireBytes, wire });
  } else {
    process.stdout.write(
      [
        `snapshot ${shortId(result.id)} saved`,
        `board ${device.port} (${device.info.platform}): ${result.snapshot.paths.join(' ')}`,
        `files: ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnchanged} unchanged; ${s.dirs} folders`,
        `read ${formatBytes(s.bytesRead)} with ${formatBytes(wireBytes)} on the link (${wireRatio(wireBytes, s.bytesRead)} per byte read), added ${formatBytes(s.bytesAdded)} in ${(s.durationMs / 1000).toFixed(2)} s`,
        ...(result.partial ? [`partial: some files could not be read (see the warnings); exit code ${EXIT.partial}`] : []),
      ].join('\n') + '\n',
    );
  }
  if (result.partial) process.exitCode = EXIT.partial;
}

/** Snapshots the board (the connection stays open): paths checked first, then a scan for progress totals, then the backup. */
async function backupBoard(device: Device, flags: BackupFlags, options: GlobalOptions): Promise<BackupResult> {
  const source = createDeviceSource(device, flags.trustMtime === undefined ? {} : { trustMtime: flags.trustMtime });
  const paths = flags.path.length > 0 ? flags.path : ['/'];
  await resolveBackupPaths(source, paths); // a missing board path fails before anything is written
  const repo = await openOrCreateRepo(options);
  const scan = await source.scan(paths);
  const progress = new TransferProgress(scan.files, scan.bytes);
  const status = startStatus(TRANSFER_FORMAT, flags.quiet !== true);
  status.update({ ...progress.payload(), path: '' });
  // Ctrl-C (or SIGTERM) stops cleanly: no snapshot is made.
  return withInterrupt((signal) => backup(repo, {
    source,
    paths,
    signal,
    tags: flags.tag,
    hostname: flags.host ?? boardHostname(device),
    meta: { device: device.port, platform: device.info.platform },
    ...(flags.description === undefined ? {} : { description: flags.description }),
    onProgress: (p) => {
      const size = scan.sizes.get(p.path);
      if (size !== undefined) progress.fileDone(size);
      status.update({ ...progress.payload(), path: shorten(p.path, 40) });
    },
    onWarning: (w) => {
      if (flags.quiet !== true && options.json !== true) process.stderr.write(`warning: ${w.message}\n`);
    },
  })).finally(() => status.stop());
}
