import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { backup, initRepository, restore } from '../../repository/src/index.js';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { createDeviceSource, createDeviceTarget, openDevice } from '@cairn/device';
import type { Device } from '@cairn/device';
import { createSimBoard } from '@cairn/device/sim';
import type { SimBoard } from '@cairn/device/sim';
import { boardTree, localTree, seedBoardTree } from './device-helpers.js';
import { tempDir } from '../../transport/test/temp-dir.js';

/** Two linked pseudo-terminals made by socat (Debian package socat). */
async function ptyPair(): Promise<{ board: string; host: string; stop: () => void }> {
  const socat = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const failed = once(socat, 'error').then(([error]) => {
    throw new Error(`socat is needed for the serial test (apt-get install socat): ${(error as Error).message}`);
  });
  const paths: string[] = [];
  let text = '';
  const found = new Promise<void>((resolve) => {
    socat.stderr.on('data', (data: Buffer) => {
      text += data.toString();
      for (const match of text.matchAll(/PTY is (\S+)/g)) if (match[1] !== undefined && !paths.includes(match[1])) paths.push(match[1]);
      if (paths.length === 2) resolve();
    });
  });
  await Promise.race([found, failed]);
  return { board: paths[0] ?? '', host: paths[1] ?? '', stop: () => socat.kill() };
}

/** Backs the board behind `device` up, restores it into a local folder and into another board folder, over that link. */
async function roundTrip(device: Device, seed: string): Promise<void> {
  const repo = await initRepository(createLocalBackend(join(await tempDir(), 'repo')));
  const result = await backup(repo, { source: createDeviceSource(device), paths: ['/'], threads: 0 });
  expect(result.partial).toBe(false);
  const local = await tempDir();
  await restore(repo, result.id, { target: createLocalTarget(local) });
  expect(await localTree(local)).toEqual(await localTree(seed));
  await restore(repo, result.id, { target: createDeviceTarget(device, '/copy') });
  expect(await boardTree(device, '/copy')).toEqual(await localTree(seed));
}

describe('links to a board', () => {
  it('backs up and restores over a serial line: a socat pty pair, MicroPython on one end, serialport on the other', async () => {
    const seed = await tempDir();
    await seedBoardTree(seed, 20_000);
    const pty = await ptyPair();
    let sim: SimBoard | undefined;
    let line: SerialPort | undefined;
    let device: Device | undefined;
    try {
      sim = await createSimBoard({ seed });
      line = new SerialPort({ path: pty.board, baudRate: 115200 });
      await once(line, 'open');
      line.pipe(sim.stream);
      sim.stream.pipe(line);
      device = await openDevice({ port: pty.host, baud: 115200, timeoutMs: 5000 });
      expect(device.info.platform).toBe('webassembly');
      await roundTrip(device, seed);
      expect(device.repl.rawPasteSupported).toBe(true);
    } finally {
      await device?.close();
      if (line !== undefined) {
        // The board's output may still be on its way into the line as the pty pair goes away: a
        // write then fails with EIO, which must not end the test run as an uncaught error.
        line.on('error', () => undefined);
        sim?.stream.unpipe(line);
        line.unpipe();
        const open = line;
        if (open.isOpen) await new Promise<void>((resolve) => open.close(() => resolve()));
      }
      await sim?.close();
      pty.stop();
    }
  });

  it('backs up and restores over TCP (tcp:host:port, a board behind a network bridge)', async () => {
    const seed = await tempDir();
    await seedBoardTree(seed, 20_000);
    const sim = await createSimBoard({ seed });
    const server = createServer((socket) => {
      socket.pipe(sim.stream);
      sim.stream.pipe(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    let device: Device | undefined;
    try {
      device = await openDevice({ port: `tcp:127.0.0.1:${port}`, timeoutMs: 5000 });
      await roundTrip(device, seed);
    } finally {
      await device?.close();
      server.close();
      await sim.close();
    }
  });

  it('names a serial port that does not exist', async () => {
    const error = await openDevice({ port: '/dev/ttyNOSUCHPORT9' }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe('there is no serial port /dev/ttyNOSUCHPORT9');
  });
});
