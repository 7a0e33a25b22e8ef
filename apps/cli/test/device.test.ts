import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSimBoard } from '@cairn/device/sim';
import type { SimBoard } from '@cairn/device/sim';
import { cairn, jsonError, jsonItems, jsonSummary, tempDir } from './run-cli.js';

/** A TCP server on 127.0.0.1 (a network bridge to a board) answering each connection with `serve`; its port. */
async function bridge(serve: (socket: Socket) => void): Promise<{ port: string; server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined); // the host going away mid-answer
    serve(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: `tcp:127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A simulated board in this process behind a TCP bridge: each connection reaches the same board. */
async function bridgedBoard(seed?: string): Promise<{ sim: SimBoard; port: string; server: Server }> {
  const sim = await createSimBoard(seed === undefined ? {} : { seed });
  const { port, server } = await bridge((socket) => {
    socket.pipe(sim.stream, { end: false });
    sim.stream.pipe(socket);
    socket.on('close', () => sim.stream.unpipe(socket));
  });
  return { sim, port, server };
}

/** Waits until the board has taken every byte the host sent (they cross the bridge after the host has exited). */
async function settled(sim: SimBoard): Promise<{ toBoard: number; fromBoard: number }> {
  let last = -1;
  while (sim.counts.toBoard + sim.counts.fromBoard !== last) {
    last = sim.counts.toBoard + sim.counts.fromBoard;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return sim.counts;
}

/** A small board: nested folders, an empty file, a binary file with every byte value, text. */
async function boardFolder(root: string): Promise<void> {
  await mkdir(join(root, 'lib', 'drivers'), { recursive: true });
  await writeFile(join(root, 'main.py'), 'import drivers\nprint("hi")\n');
  await writeFile(join(root, 'lib', 'empty.txt'), '');
  await writeFile(join(root, 'lib', 'bytes.bin'), Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7) % 256)));
  await writeFile(join(root, 'lib', 'drivers', 'led.py'), 'from machine import Pin\nled = Pin(25, Pin.OUT)\n'.repeat(30));
}

async function digests(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    out.set(path.slice(root.length + 1), entry.isDirectory() ? 'dir' : createHash('sha256').update(await readFile(path)).digest('hex'));
  }
  return out;
}

describe('cairn device', () => {
  it('lists, backs up (incrementally) and restores a simulated board', async () => {
    const home = await tempDir();
    const board = join(home, 'board');
    await boardFolder(board);

    const ls = await cairn(['device', 'ls', '--port', 'sim', '--sim-root', board], { home });
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')).toEqual(['/lib/', '/lib/bytes.bin', '/lib/drivers/', '/lib/drivers/led.py', '/lib/empty.txt', '/main.py', '']);
    const long = jsonItems((await cairn(['device', 'ls', '--port', 'sim', '--sim-root', board, '--path', '/lib', '--json'], { home })).stdout, 'entry') as { path: string; size: number }[];
    expect(long.find((row) => row.path === '/lib/bytes.bin')?.size).toBe(2048);

    const first = await cairn(['device', 'backup', '--port', 'sim', '--sim-root', board, '--tag', 'pico'], { home });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('created a new repository');
    expect(first.stdout).toMatch(/snapshot [0-9a-f]{8} saved/);
    expect(first.stdout).toContain('files: 4 new, 0 changed, 0 unchanged');

    const second = jsonSummary((await cairn(['device', 'backup', '--port', 'sim', '--sim-root', board, '--json'], { home })).stdout) as {
      summary: { filesUnchanged: number; bytesRead: number };
      hostname: string;
      wireBytes: number;
    };
    expect(second.summary).toMatchObject({ filesUnchanged: 4, bytesRead: 0 });
    expect(second.hostname).toBe('device:sim');
    // Entering the raw REPL and the helper (under 4 KB, every run), then 4 files and 3 folders: under 100 bytes each.
    expect(second.wireBytes).toBeLessThan(4096 + 8 * 100);

    const snapshots = await cairn(['snapshots'], { home });
    expect(snapshots.stdout).toContain('device:sim');
    expect(snapshots.stdout).toContain('pico');

    const restored = join(home, 'restored');
    const restore = await cairn(['device', 'restore', 'latest', '--port', 'sim', '--sim-root', restored], { home });
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/^restored 4 files, 2 folders .* to sim:\/, each verified by the board/);
    expect(await digests(restored)).toEqual(await digests(board));

    const part = join(home, 'part');
    const some = await cairn(['device', 'restore', 'latest', '--port', 'sim', '--sim-root', part, '--path', 'lib/drivers', '--to', '/backup'], { home });
    expect(some.code).toBe(0);
    expect(await readdir(join(part, 'backup', 'lib', 'drivers'))).toEqual(['led.py']);
    expect(existsSync(join(part, 'main.py'))).toBe(false);
  });

  it('fails clearly on bad input and changes nothing', async () => {
    const home = await tempDir();
    const board = join(home, 'board');
    await boardFolder(board);

    const noPort = await cairn(['device', 'ls', '--port', '/dev/ttyNOSUCHPORT7'], { home });
    expect(noPort.code).toBe(1);
    expect(noPort.stderr).toContain('cairn: there is no serial port /dev/ttyNOSUCHPORT7');
    expect(noPort.stderr).toContain('hint: ');

    const simRoot = await cairn(['device', 'ls', '--port', '/dev/ttyS0', '--sim-root', board], { home });
    expect(simRoot.code).toBe(1);
    expect(simRoot.stderr).toContain('--sim-root is for --port sim');

    const timeout = await cairn(['device', 'ls', '--port', 'sim', '--timeout', '-1'], { home });
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toContain('--timeout wants a positive number of seconds, got "-1"');

    const missing = await cairn(['device', 'backup', '--port', 'sim', '--sim-root', board, '--path', '/nope', '--json'], { home });
    expect(missing.code).toBe(1);
    expect(jsonError(missing.stderr)).toMatchObject({ error: { code: 'ERR_NOT_FOUND', message: 'cannot back up /nope: no such file or folder (/nope)' } });
    expect(existsSync(join(home, 'data', 'cairn', 'repo'))).toBe(false); // no repository was created

    expect((await cairn(['device', 'backup', '--port', 'sim', '--sim-root', board], { home })).code).toBe(0);
    const noSnapshot = await cairn(['device', 'restore', 'beef', '--port', 'sim', '--sim-root', board], { home });
    expect(noSnapshot.code).toBe(1);
    expect(noSnapshot.stderr).toContain('beef');
  });

  it('gives up on a port that keeps sending other text within --timeout: exit 1, the port and a sample named, no repository', async () => {
    const home = await tempDir();
    // A program that ignores Ctrl-C and prints on a slow line, forever (64 KiB of it takes half a minute).
    const { port, server } = await bridge((socket) => {
      const timer = setInterval(() => socket.write('temperature 21.5 C, humidity 40 %\r\n'), 20);
      socket.on('close', () => clearInterval(timer));
    });
    try {
      const started = Date.now();
      const run = await cairn(['device', 'backup', '--port', port, '--timeout', '2'], { home });
      const took = Date.now() - started;
      expect(run.code).toBe(1);
      expect(took).toBeLessThan(2000 + 3000); // the timeout, and the margin of starting node
      expect(run.stderr).toContain(`cairn: could not enter the raw REPL of the board at ${port}: no raw REPL prompt came within 2 s; it sent `);
      expect(run.stderr).toMatch(/bytes of other text, ending ".*humidity 40 %\\r\\n"\n/);
      expect(run.stderr).toContain('hint: ');
      expect(run.stdout).toBe('');
      expect(existsSync(join(home, 'data', 'cairn', 'repo'))).toBe(false);
    } finally {
      server.close();
    }
  });

  it('reports every byte on the link (helper, listing, reads, leaving), as the board counted them', async () => {
    const home = await tempDir();
    const seed = join(home, 'board');
    await boardFolder(seed);
    const { sim, port, server } = await bridgedBoard(seed);
    try {
      for (const run of ['first', 'unchanged']) {
        const before = await settled(sim);
        const backup = await cairn(['device', 'backup', '--port', port, '--json'], { home });
        expect(backup.code, backup.stderr).toBe(0);
        const out = jsonSummary(backup.stdout) as { wireBytes: number; wire: { sent: number; received: number }; summary: { filesUnchanged: number } };
        const after = await settled(sim);
        if (run === 'unchanged') expect(out.summary.filesUnchanged).toBe(4);
        // Everything the board counted but its friendly banner after leaving, which nobody waits for.
        const counted = after.toBoard - before.toBoard + after.fromBoard - before.fromBoard;
        expect(out.wireBytes, run).toBeLessThanOrEqual(counted);
        expect(out.wireBytes, run).toBeGreaterThan(counted - 200);
        expect(out.wire.sent, run).toBe(after.toBoard - before.toBoard);
        expect(out.wireBytes).toBe(out.wire.sent + out.wire.received);
      }
      const before = await settled(sim);
      const restore = await cairn(['device', 'restore', 'latest', '--port', port, '--to', '/copy', '--json'], { home });
      expect(restore.code, restore.stderr).toBe(0);
      const out = jsonSummary(restore.stdout) as { files: number; wireBytes: number; wire: { sent: number; received: number } };
      const after = await settled(sim);
      expect(out.files).toBe(4);
      const counted = after.toBoard - before.toBoard + after.fromBoard - before.fromBoard;
      expect(out.wireBytes).toBeLessThanOrEqual(counted);
      expect(out.wireBytes).toBeGreaterThan(counted - 200);
      expect(out.wire.sent).toBe(after.toBoard - before.toBoard);
    } finally {
      server.close();
      await sim.close();
    }
  });

  it('restores onto a board sending only the files that differ, and says how many were left as they were', async () => {
    const home = await tempDir();
    const seed = join(home, 'board');
    await boardFolder(seed);
    expect((await cairn(['device', 'backup', '--port', 'sim', '--sim-root', seed], { home })).code).toBe(0);
    await writeFile(join(seed, 'main.py'), 'import drivers\nprint("HI")\n'); // same size, other bytes
    const restore = await cairn(['device', 'restore', 'latest', '--port', 'sim', '--sim-root', seed], { home });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^restored 1 files, 2 folders \(\d+ B\) from [0-9a-f]{8} to sim:\/, 3 unchanged files left as they are, each verified by the board;/);
    expect(await readFile(join(seed, 'main.py'), 'utf8')).toBe('import drivers\nprint("hi")\n');
    const dry = await cairn(['device', 'restore', 'latest', '--port', 'sim', '--sim-root', seed, '--dry-run'], { home });
    expect(dry.stdout).toMatch(/^would restore 0 files \(0 B\) from [0-9a-f]{8} to sim:\/; 4 files already on the board are left as they are\n$/);
  });

  it('restores the snapshot of an empty board into a folder that then exists', async () => {
    const home = await tempDir();
    const board = join(home, 'empty-board');
    await mkdir(board);
    const backup = jsonSummary((await cairn(['device', 'backup', '--port', 'sim', '--sim-root', board, '--json'], { home })).stdout) as { id: string };
    const target = join(home, 'restored', 'here');
    const restore = await cairn(['restore', backup.id, '--target', target], { home });
    expect(restore.code, restore.stderr).toBe(0);
    expect(await readdir(target)).toEqual([]);
  });
});
