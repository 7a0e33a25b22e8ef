import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, tempDir } from './run-cli.js';

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
    const long = JSON.parse((await cairn(['device', 'ls', '--port', 'sim', '--sim-root', board, '--path', '/lib', '--json'], { home })).stdout) as { path: string; size: number }[];
    expect(long.find((row) => row.path === '/lib/bytes.bin')?.size).toBe(2048);

    const first = await cairn(['device', 'backup', '--port', 'sim', '--sim-root', board, '--tag', 'pico'], { home });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('created a new repository');
    expect(first.stdout).toMatch(/snapshot [0-9a-f]{64} saved/);
    expect(first.stdout).toContain('files: 4 new, 0 changed, 0 unchanged');

    const second = JSON.parse((await cairn(['device', 'backup', '--port', 'sim', '--sim-root', board, '--json'], { home })).stdout) as {
      summary: { filesUnchanged: number; bytesRead: number };
      hostname: string;
      wireBytes: number;
    };
    expect(second.summary).toMatchObject({ filesUnchanged: 4, bytesRead: 0 });
    expect(second.hostname).toBe('device:sim');
    expect(second.wireBytes).toBeLessThan(8 * 100); // 4 files and 3 folders: under 100 bytes each

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
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: 'ERR_NOT_FOUND', message: 'cannot back up /nope: no such file or folder (/nope)' } });
    expect(existsSync(join(home, 'data', 'cairn', 'repo'))).toBe(false); // no repository was created

    expect((await cairn(['device', 'backup', '--port', 'sim', '--sim-root', board], { home })).code).toBe(0);
    const noSnapshot = await cairn(['device', 'restore', 'beef', '--port', 'sim'], { home });
    expect(noSnapshot.code).toBe(1);
    expect(noSnapshot.stderr).toContain('beef');
  });
});
