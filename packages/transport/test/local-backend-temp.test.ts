import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, statfs, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalBackend } from '@cairn/transport';
import { parseTempFileName, tempFileName, tempHost } from '../src/exclusive-write.js';
import { hexName } from './backend-contract.js';
import { tempDir } from './temp-dir.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function newRepo() {
  const root = join(await tempDir(), 'repo');
  const backend = createLocalBackend(root);
  await backend.create();
  return { root, backend };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

const RANDOM = '0123456789abcdef';

describe('temporary files of the local backend', () => {
  it('are named .tmp-<host>-<pid>-<random>, and the name gives host and pid back', () => {
    const name = tempFileName();
    expect(name).toMatch(/^\.tmp-[A-Za-z0-9._]+-\d+-[0-9a-f]{16}$/);
    expect(parseTempFileName(name)).toEqual({ host: tempHost(), pid: process.pid });
    expect(tempHost()).toBe(tempHost(hostname()));
    expect(tempHost('büro-pc/2')).toBe('b_ro_pc_2');
    expect(parseTempFileName(`.tmp-a-b-c-12-${RANDOM}`)).toBeNull(); // '-' never appears in a host part
    expect(parseTempFileName(`.tmp-${RANDOM}`)).toBeNull(); // older cairn
    expect(parseTempFileName('config')).toBeNull();
  });

  it('removeStaleTemporaries removes those of dead processes of this host and any older than a day, nothing else', async () => {
    const { root, backend } = await newRepo();
    const host = tempHost();
    const dead = deadPid();
    const pack = bytes('a pack');
    await backend.write('data', hexName(pack), pack);
    const old = new Date(Date.now() - 25 * 3600_000);
    const files: Record<string, { path: string; gone: boolean; mtime?: Date }> = {
      deadData: { path: `data/ab/.tmp-${host}-${dead}-${RANDOM}`, gone: true },
      deadIndex: { path: `index/.tmp-${host}-${dead}-${RANDOM}`, gone: true },
      deadRoot: { path: `.tmp-${host}-${dead}-${RANDOM}`, gone: true },
      mine: { path: `snapshots/.tmp-${host}-${process.pid}-${RANDOM}`, gone: false },
      otherHost: { path: `data/00/.tmp-elsewhere-${dead}-${RANDOM}`, gone: false },
      otherHostOld: { path: `locks/.tmp-elsewhere-${dead}-${RANDOM}`, gone: true, mtime: old },
      legacy: { path: `data/ff/.tmp-${RANDOM}`, gone: false },
      legacyOld: { path: `keys/.tmp-${RANDOM}`, gone: true, mtime: old },
      mineOld: { path: `index/.tmp-${host}-${process.pid}-${RANDOM.replace('0', 'f')}`, gone: true, mtime: old },
      hidden: { path: 'data/ab/.keep', gone: false, mtime: old },
    };
    for (const file of Object.values(files)) {
      await mkdir(dirname(join(root, file.path)), { recursive: true }); // data's prefix folders are made by their first pack
      await writeFile(join(root, file.path), 'partial');
      if (file.mtime !== undefined) await utimes(join(root, file.path), file.mtime, file.mtime);
    }
    const removed = await backend.removeStaleTemporaries?.();
    expect(removed?.sort()).toEqual(Object.values(files).filter((f) => f.gone).map((f) => f.path).sort());
    for (const [what, file] of Object.entries(files)) {
      const exists = await readFile(join(root, file.path)).then(() => true, () => false);
      expect(exists, what).toBe(!file.gone);
    }
    expect(await backend.read('data', hexName(pack))).toEqual(pack);
    expect(await backend.removeStaleTemporaries?.()).toEqual([]);
  });

  it('removeStaleTemporaries finds those of every one of data\'s 256 prefix folders, and leaves other folders of data/ alone', async () => {
    const { root, backend } = await newRepo();
    const dead = deadPid();
    const expected: string[] = [];
    for (let i = 0; i < 256; i += 1) {
      const path = `data/${i.toString(16).padStart(2, '0')}/.tmp-${tempHost()}-${dead}-${RANDOM}`;
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), 'partial');
      expected.push(path);
    }
    // Not a prefix folder: nothing of cairn's is there.
    await mkdir(join(root, 'data', 'notes'));
    await writeFile(join(root, 'data', 'notes', `.tmp-${tempHost()}-${dead}-${RANDOM}`), 'kept');
    expect((await backend.removeStaleTemporaries?.())?.sort()).toEqual(expected);
    expect(await readdir(join(root, 'data', 'notes'))).toHaveLength(1);
    expect(await backend.removeStaleTemporaries?.()).toEqual([]);
  });

  it('a writer killed with SIGKILL in the middle of a write leaves a temporary file that the next cleanup removes', async () => {
    const { root, backend } = await newRepo();
    // A child that opens a temporary file the way writeExclusive names it, then waits to be killed.
    const script = `
      const { openSync, writeSync } = require('node:fs');
      const name = ${JSON.stringify(join(root, 'index'))} + '/.tmp-' + ${JSON.stringify(tempHost())} + '-' + process.pid + '-${RANDOM}';
      writeSync(openSync(name, 'wx'), 'half a file');
      process.stdout.write('ready');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(await backend.removeStaleTemporaries?.()).toEqual([]); // its writer is alive
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    expect(await backend.removeStaleTemporaries?.()).toEqual([`index/.tmp-${tempHost()}-${child.pid}-${RANDOM}`]);
    expect((await readdir(join(root, 'index'))).length).toBe(0);
  });

  it('replaceConfig replaces the config atomically and leaves no temporary file; space() reports the filesystem', async () => {
    const { root, backend } = await newRepo();
    await backend.write('config', 'config', bytes('one'));
    await backend.replaceConfig?.(bytes('two'));
    expect(new TextDecoder().decode(await backend.read('config', 'config'))).toBe('two');
    expect((await readdir(root)).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
    await expect(backend.replaceConfig?.('three' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    const space = await backend.space?.();
    const fs = await statfs(root);
    expect(space?.total).toBe(fs.blocks * fs.bsize);
    expect(space?.free).toBeGreaterThan(0);
    expect(space?.free).toBeLessThanOrEqual(space?.total ?? 0);
  });

  it('replaceConfig into a folder that is gone is ERR_NOT_FOUND naming the config', async () => {
    const backend = createLocalBackend(join(await tempDir(), 'missing'));
    await expect(backend.replaceConfig?.(bytes('x'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', message: expect.stringContaining('missing/config') as string });
  });
});
