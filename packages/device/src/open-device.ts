import type { Duplex } from 'node:stream';
import { CairnError } from '@cairn/core';
import { boardError } from './repl/board-errors.js';
import { BoardFs } from './board/board-fs.js';
import type { BoardInfo } from './board/board-helper.js';
import { ByteChannel } from './link/byte-channel.js';
import type { WireCounts } from './link/byte-channel.js';
import { RawRepl } from './repl/raw-repl.js';
import type { RawPasteMode } from './repl/raw-repl.js';
import type { SimBoard, SimBoardOptions } from './sim/sim-board.js';

/** Options of openDevice() and connectDevice(). */
export interface DeviceOptions {
  /** A serial port path ("/dev/ttyACM0", "COM3"), "tcp:host:port", or "sim" (MicroPython in this process). */
  readonly port: string;
  /** Serial baud rate (default 115200; USB CDC boards ignore it). */
  readonly baud?: number;
  /** How long to wait for the board's next byte, and at most for the raw REPL prompt when connecting, in ms (default 10000). */
  readonly timeoutMs?: number;
  /** Soft-reset the board after entering the raw REPL (a clean interpreter, more free RAM). */
  readonly softReset?: boolean;
  /** When raw-paste mode is used (default 'auto'). */
  readonly rawPaste?: RawPasteMode;
  /** File bytes per data line and per write (default 4096). */
  readonly chunkSize?: number;
  /** Deflate text on the link when the board can (default true). */
  readonly compress?: boolean;
  /** How the board encodes file data it sends (default 'auto': base64, or hex where the board's base64 encoder is slow). */
  readonly readEncoding?: 'auto' | 'base64' | 'hex';
  /** The simulated board, for port "sim". */
  readonly sim?: SimBoardOptions;
}

/** A board connected in its raw REPL, with the cairn helper installed. */
export interface Device {
  /** The port as given, for messages. */
  readonly port: string;
  readonly info: BoardInfo;
  readonly fs: BoardFs;
  readonly repl: RawRepl;
  /** Bytes on the wire so far, counted at the host. */
  readonly wire: WireCounts;
  /** The simulated board, for port "sim". */
  readonly sim: SimBoard | undefined;
  /** Removes the helper, leaves the raw REPL for the friendly one, and closes the link. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Opens the port `options.port` names and connects to the board on it (see connectDevice). */
export async function openDevice(options: DeviceOptions): Promise<Device> {
  const { port } = options;
  if (typeof port !== 'string' || port === '') throw new TypeError(`a device port must be a non-empty string, got ${JSON.stringify(port)}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (port === 'sim') {
    const { createSimBoard } = await import('./sim/sim-board.js');
    const sim = await createSimBoard(options.sim ?? {});
    try {
      return await connectDevice(sim.stream, options, sim);
    } catch (error) {
      await sim.close();
      throw error;
    }
  }
  const tcp = /^tcp:(.+):(\d+)$/.exec(port);
  if (tcp !== null) {
    const { openTcpStream } = await import('./link/tcp-stream.js');
    return connectDevice(await openTcpStream(tcp[1] ?? '', Number(tcp[2]), timeoutMs), options);
  }
  if (port.startsWith('tcp:')) throw new TypeError(`a TCP port is tcp:HOST:PORT, got ${JSON.stringify(port)}`);
  const { openSerialStream } = await import('./link/serial-stream.js');
  const stream = await openSerialStream(port, options.baud ?? 115200);
  // A UART has no flow control in classic raw REPL mode: pace long code as mpremote does.
  return connectDevice(stream, { ...options, pacing: { bytes: 256, pauseMs: 10 } });
}

/**
 * Connects to a MicroPython board over any duplex byte stream: enters the raw REPL
 * (soft-resetting when asked) and installs the cairn helper. The stream is closed on failure.
 */
export async function connectDevice(
  stream: Duplex,
  options: DeviceOptions & { readonly pacing?: { readonly bytes: number; readonly pauseMs: number } },
  sim?: SimBoard,
): Promise<Device> {
  const channel = new ByteChannel(stream, options.port, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let platform = '';
  const repl = new RawRepl(channel, {
    ...(options.rawPaste === undefined ? {} : { rawPaste: options.rawPaste }),
    ...(options.pacing === undefined ? {} : { pacing: options.pacing }),
    mapError: (traceback, what) => boardError(options.port, platform, traceback, what),
  });
  let fs: BoardFs;
  try {
    await repl.enter({ softReset: options.softReset === true });
    fs = await BoardFs.install(repl, {
      ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
      ...(options.compress === undefined ? {} : { compress: options.compress }),
      ...(options.readEncoding === undefined ? {} : { readEncoding: options.readEncoding }),
    });
    platform = fs.info.platform;
  } catch (error) {
    await channel.close();
    throw error;
  }
  let closed = false;
  return {
    port: options.port,
    get info() {
      return fs.info;
    },
    fs,
    repl,
    get wire() {
      return channel.counts;
    },
    sim,
    async close() {
      if (closed) return;
      closed = true;
      const ignore = (error: unknown): void => {
        if (!(error instanceof CairnError)) throw error;
      };
      try {
        if (channel.failure === undefined) await fs.uninstall().catch(ignore);
        if (channel.failure === undefined) await repl.leave().catch(ignore);
      } finally {
        await channel.close();
        await sim?.close();
      }
    },
  };
}
