import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import type { Backend, FileWriter } from '@cairn/core';
import { createLocalBackend } from '@cairn/transport';
import { hexName } from './backend-contract.js';
import { smallFs } from './small-fs.js';
import { tempDir } from './temp-dir.js';

async function newRepo(at?: string): Promise<{ root: string; backend: Backend; create: () => Promise<FileWriter> }> {
  const root = join(at ?? await tempDir(), 'repo');
  const backend = createLocalBackend(root);
  await backend.create();
  const createWriter = backend.createWriter;
  if (createWriter === undefined) throw new Error('the local backend has no createWriter');
  return { root, backend, create: () => createWriter.call(backend, 'data') };
}

/** Every file under `data/`, relative to it (prefix folders walked). */
async function dataFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, 'data'), { withFileTypes: true })) {
    if (!entry.isDirectory()) found.push(entry.name);
    else for (const name of await readdir(join(root, 'data', entry.name))) found.push(`${entry.name}/${name}`);
  }
  return found.sort();
}

describe('a pack file written as it is built (local backend)', () => {
  it('appears under its name only when finished, with exactly the bytes appended, and no temporary file is left', async () => {
    const { root, backend, create } = await newRepo();
    const parts = [randomBytes(100_000), randomBytes(1), randomBytes(3 * 1024 * 1024 + 7)];
    const whole = Buffer.concat(parts);
    const name = hexName(whole);
    const writer = await create();
    for (const part of parts) await writer.append(part);
    // Before finish: a temporary file in data/ itself, nothing under a name, nothing listed.
    const before = await dataFiles(root);
    expect(before).toHaveLength(1);
    expect(before[0]).toMatch(/^\.tmp-/);
    expect(await (async () => { const listed = []; for await (const file of backend.list('data')) listed.push(file); return listed; })()).toEqual([]);
    // What was appended reads back, across the parts.
    expect(Buffer.from(writer.readBack(99_990, 20))).toEqual(whole.subarray(99_990, 100_010));
    expect(() => writer.readBack(whole.length - 1, 2)).toThrow(RangeError);
    await writer.finish(name);
    expect(await dataFiles(root)).toEqual([`${name.slice(0, 2)}/${name}`]);
    expect(Buffer.from(await backend.read('data', name)).equals(whole)).toBe(true);
    // Finished: no more appends, and a second finish is refused.
    await expect(writer.append(randomBytes(1))).rejects.toThrow(/finished or dropped/);
    await expect(writer.finish(name)).rejects.toThrow(/finished or dropped/);
  });

  it('finishing under a name that holds the same bytes succeeds; other bytes there are ERR_EXISTS; neither leaves a temporary file', async () => {
    const { root, backend, create } = await newRepo();
    const bytes = randomBytes(50_000);
    const name = hexName(bytes);
    await backend.write('data', name, bytes);
    const same = await create();
    await same.append(bytes);
    await same.finish(name);
    expect(Buffer.from(await backend.read('data', name)).equals(bytes)).toBe(true);

    const other = await create();
    await other.append(randomBytes(50_000));
    const refused = await other.finish(name).catch((error: unknown) => error);
    expect(isCairnError(refused, 'ERR_EXISTS')).toBe(true);
    expect(Buffer.from(await backend.read('data', name)).equals(bytes)).toBe(true);
    expect(await dataFiles(root)).toEqual([`${name.slice(0, 2)}/${name}`]);
  });

  it('abort leaves nothing, also after appends, and twice', async () => {
    const { root, create } = await newRepo();
    const writer = await create();
    await writer.append(randomBytes(10_000));
    await writer.abort();
    await writer.abort();
    expect(await dataFiles(root)).toEqual([]);
    await expect(writer.append(randomBytes(1))).rejects.toThrow(/finished or dropped/);
  });

  it('a name that is not a pack name is refused before anything appears, and the file is still the writer\'s to drop', async () => {
    const { root, create } = await newRepo();
    const writer = await create();
    await writer.append(randomBytes(10));
    await expect(writer.finish('../config')).rejects.toThrow();
    await writer.abort();
    expect(await dataFiles(root)).toEqual([]);
  });

  it('a folder that is gone under it fails the append or the finish with an error naming the repository, and leaves no file', async () => {
    const { root, create } = await newRepo();
    const writer = await create();
    await writer.append(randomBytes(10));
    execFileSync('rm', ['-rf', join(root, 'data')]);
    await mkdir(join(root, 'data'));
    await writeFile(join(root, 'data', 'ab'), 'a file where a prefix folder would go');
    const name = `ab${hexName(randomBytes(4)).slice(2)}`;
    const failed = await writer.finish(name).catch((error: unknown) => error);
    expect(isCairnError(failed)).toBe(true);
    expect(String((failed as Error).message)).toContain(root);
    expect((await readdir(join(root, 'data'))).filter((entry) => entry.startsWith('.tmp-'))).toEqual([]);
  });

  it('a backup killed while its pack is half written leaves a temporary file in data/ that the next cleanup removes', async () => {
    const { root, backend } = await newRepo();
    const transport = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js')).href;
    const script = `
      const { createLocalBackend } = await import(${JSON.stringify(transport)});
      const writer = await createLocalBackend(${JSON.stringify(root)}).createWriter('data');
      await writer.append(new Uint8Array(100000));
      process.stdout.write('ready');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(await backend.removeStaleTemporaries?.()).toEqual([]); // its writer is alive
    const [temp] = await dataFiles(root);
    expect(temp).toMatch(new RegExp(`^\\.tmp-.*-${child.pid}-[0-9a-f]{16}$`));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    expect(await backend.removeStaleTemporaries?.()).toEqual([`data/${temp}`]);
    expect(await dataFiles(root)).toEqual([]);
  });

  it('on a filesystem that fills up, the part that would take the reserve is refused with ERR_NO_SPACE and its file dropped; packs written before stay', async (context) => {
    const mnt = await smallFs('4m');
    if (mnt === undefined) {
      context.skip('cannot mount a size-limited tmpfs (needs root)');
      return;
    }
    const { root, backend, create } = await newRepo(mnt);
    const first = randomBytes(1024 * 1024);
    const kept = await create();
    await kept.append(first);
    await kept.finish(hexName(first));
    const writer = await create();
    let refused: unknown;
    for (let i = 0; i < 8 && refused === undefined; i++) await writer.append(randomBytes(512 * 1024)).catch((error: unknown) => { refused = error; });
    expect(isCairnError(refused, 'ERR_NO_SPACE')).toBe(true);
    expect(String((refused as Error).message)).toMatch(/no space left for repository .*the next part of a pack takes 524288/);
    expect(await dataFiles(root)).toEqual([`${hexName(first).slice(0, 2)}/${hexName(first)}`]);
    expect(Buffer.from(await backend.read('data', hexName(first))).equals(first)).toBe(true);
    // What the reserve kept free takes the small files a repository still needs.
    await backend.write('index', hexName(randomBytes(8)), randomBytes(100_000));
    expect((await readFile(join(root, 'data', hexName(first).slice(0, 2), hexName(first)))).length).toBe(first.length);
  });
});
