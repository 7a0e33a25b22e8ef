import { mkdir } from 'node:fs/promises';
import { openDevice } from '@cairn/device';
import type { Device } from '@cairn/device';
import { usageError } from '../usage.js';

/** Options every `cairn device` command takes. */
export interface DeviceFlags {
  readonly port: string;
  readonly baud?: string;
  readonly simRoot?: string;
  readonly timeout?: string;
  readonly softReset?: boolean;
  readonly chunkSize?: string;
}

/** Connects to the board the flags name (for --port sim, seeded from --sim-root, which `create` makes when missing). */
export async function connect(flags: DeviceFlags, options: { compress?: boolean; create?: boolean } = {}): Promise<Device> {
  const baud = flags.baud === undefined ? undefined : Number(flags.baud);
  if (baud !== undefined && (!Number.isSafeInteger(baud) || baud <= 0)) throw usageError(`--baud wants a positive integer, got ${JSON.stringify(flags.baud)}`);
  const seconds = flags.timeout === undefined ? 10 : Number(flags.timeout);
  // Longer than a day would overflow Node's timers (which then fire at once).
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) throw usageError(`--timeout wants a positive number of seconds, got ${JSON.stringify(flags.timeout)}; at most 86400 (a day)`);
  const chunkSize = flags.chunkSize === undefined ? undefined : Number(flags.chunkSize);
  if (chunkSize !== undefined && (!Number.isSafeInteger(chunkSize) || chunkSize < 64 || chunkSize > 65536)) {
    throw usageError(`--chunk-size wants a number of bytes within 64..65536, got ${JSON.stringify(flags.chunkSize)}`);
  }
  if (flags.port === '') throw usageError('--port: an empty name ("") names no board; give a serial port, tcp:HOST:PORT or sim');
  if (flags.simRoot !== undefined && flags.port !== 'sim') throw usageError(`--sim-root is for --port sim, not ${JSON.stringify(flags.port)}`);
  if (flags.simRoot === undefined && flags.port === 'sim') throw usageError('--port sim needs --sim-root <dir>: the folder that holds the simulated board\'s flash');
  if (flags.simRoot !== undefined && options.create === true) await mkdir(flags.simRoot, { recursive: true });
  return openDevice({
    port: flags.port,
    timeoutMs: seconds * 1000,
    softReset: flags.softReset === true,
    ...(baud === undefined ? {} : { baud }),
    ...(chunkSize === undefined ? {} : { chunkSize }),
    ...(options.compress === undefined ? {} : { compress: options.compress }),
    ...(flags.port === 'sim' ? { sim: flags.simRoot === undefined ? {} : { seed: flags.simRoot } } : {}),
  });
}

/** The host name a board's snapshots are recorded under: its unique id when it has one, else its port. */
export function boardHostname(device: Device): string {
  return device.info.uniqueId === undefined ? `device:${device.port}` : `${device.info.platform}-${device.info.uniqueId}`;
}

/** Bytes on the wire per byte of file, for a summary ("1.34"). */
export function wireRatio(wireBytes: number, fileBytes: number): string {
  return fileBytes > 0 ? (wireBytes / fileBytes).toFixed(2) : '-';
}
