import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codecCode, isCairnError, toHex } from '@cairn/core';
import { blobId } from '@cairn/chunker';
import { loadZstd } from '@cairn/pack';
import { backup, findSnapshot, grep, initRepository } from '@cairn/repository';
import type { GrepHit, GrepOptions, Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { GREP_BATCH_BYTES, createGrepPool } from '../src/inspect/grep-pool.js';
import type { PooledResult } from '../src/inspect/grep-pool.js';
import { packFileName } from '../src/repo/names.js';
import { flipByte, seededBytes, tempDir } from './helpers.js';
import { smallRepo } from './lifecycle-helpers.js';

async function take(repo: Repository, dir: string, day: number): Promise<string> {
  return (await backup(repo, { source: createLocalSource(), paths: [dir], hostname: 'laptop', time: new Date(Date.UTC(2024, 0, day, 12)) })).id;
}

/** Lines of hex (half compressible), with `marker` on every 97th line. */
function hexText(bytes: number, seed: number, marker: string): string {
  const random = seededBytes(bytes / 2, seed).toString('hex');
  const lines: string[] = [];
  for (let at = 0, n = 0; at < random.length; at += 64, n += 1) lines.push(n % 97 === 3 ? `${random.slice(at, at + 40)} ${marker} x` : random.slice(at, at + 64));
  return `${lines.join('\n')}\n`;
}

async function search(repo: Repository, options: GrepOptions): Promise<{ hits: GrepHit[]; summary: Awaited<ReturnType<typeof grep>> }> {
  const hits: GrepHit[] = [];
  const summary = await grep(repo, options, (hit) => hits.push(hit));
  return { hits, summary };
}

/** A worker Node cannot load without a loader (a .ts file): it dies before it is ready. */
async function brokenWorker(): Promise<{ filename: string; execArgv: string[] }> {
  const file = join(await tempDir(), 'broken-grep-worker.ts');
  await writeFile(file, 'export default (task: unknown): unknown => task;\n');
  return { filename: pathToFileURL(file).href, execArgv: [] };
}

/** Three snapshots of text files (some of several blobs, one binary), more than a batch of stored bytes. */
async function history(encrypted = false): Promise<{ work: string; repo: Repository; ids: string[] }> {
  const work = await tempDir();
  const repo = encrypted
    ? await initRepository(createLocalBackend(join(work, 'repo')), { packSize: 256 * 1024, encryption: 'aes-256-gcm', password: 'pw', kdf: { N: 1024, r: 8, p: 1 } })
    : await smallRepo(work);
  const src = join(work, 'proj');
  await mkdir(join(src, 'lib'), { recursive: true });
  for (let i = 0; i < 12; i += 1) await writeFile(join(src, i % 2 === 0 ? 'lib' : '.', `f${i}.txt`), hexText(i < 3 ? 200_000 : 3_000, i + 1, i % 3 === 0 ? 'needle' : 'hay'));
  await writeFile(join(src, 'big.txt'), hexText(2_400_000, 99, 'needle'));
  await writeFile(join(src, 'bin.dat'), Buffer.concat([Buffer.from('needle\0'), Buffer.from(hexText(4_000, 7, 'needle'))]));
  const ids = [await take(repo, src, 1)];
  await writeFile(join(src, 'f5.txt'), 'a needle here\nand NEEDLE there\n');
  ids.push(await take(repo, src, 2));
  await writeFile(join(src, 'lib', 'f0.txt'), 'no more\n');
  ids.push(await take(repo, src, 3));
  return { work, repo, ids };
}

describe('grep in the worker pool', () => {
  it('gives the same hits, lines and summary with 0, 1 and 2 worker threads and by default (pool sizes do not change results)', { timeout: 120_000 }, async () => {
    const { repo } = await history();
    for (const options of [
      { pattern: 'needle', fixed: true },
      { pattern: 'NEEDLE', ignoreCase: true, before: 1, after: 2 },
      { pattern: '[0-9a-f]{8} needle', maxCount: 3 },
      { pattern: 'needle', fixed: true, word: true, binary: true },
    ] satisfies GrepOptions[]) {
      const inline = await search(repo, { ...options, threads: 0 });
      expect(inline.hits.length).toBeGreaterThan(3);
      // Every content is read but where --max-count stops early; the big one is many blobs.
      if (options.maxCount === undefined) expect(inline.summary.bytesDecompressed).toBeGreaterThan(3_000_000);
      for (const threads of [1, 2, undefined]) {
        const pooled = await search(repo, { ...options, ...(threads === undefined ? {} : { threads }) });
        expect(pooled, `threads ${threads}`).toEqual(inline);
      }
    }
  });

  it('in an encrypted repository the workers check each blob against its keyed id (HMAC-SHA-256): the same hits with 0 and 2 threads', { timeout: 120_000 }, async () => {
    const { repo } = await history(true);
    const inline = await search(repo, { pattern: 'needle', fixed: true, threads: 0 });
    expect(inline.hits.length).toBeGreaterThan(3);
    expect(inline.summary.bytesDecompressed).toBeGreaterThan(3_000_000);
    expect(await search(repo, { pattern: 'needle', fixed: true, threads: 2 })).toEqual(inline);
  });

  it('with threads, or by default on more than a batch, searches in the worker: a worker that cannot start fails the search naming it; 0 threads never starts it', { timeout: 60_000 }, async () => {
    const { repo } = await history();
    const worker = await brokenWorker();
    for (const threads of [1, 2, undefined]) {
      const failed = await search(repo, { pattern: 'needle', worker, ...(threads === undefined ? {} : { threads }) }).catch((error: unknown) => error);
      expect(isCairnError(failed, 'ERR_IO'), String(failed)).toBe(true);
      expect(String(failed)).toMatch(/grep worker .*broken-grep-worker\.ts failed/);
    }
    expect((await search(repo, { pattern: 'needle', worker, threads: 0 })).hits.length).toBeGreaterThan(3);
    await expect(search(repo, { pattern: 'needle', threads: -1 })).rejects.toThrow(RangeError);
  });

  it('a damaged blob (here: a group) fails the search with ERR_INTEGRITY naming a damaged blob and a file holding it, with or without threads', { timeout: 60_000 }, async () => {
    const { work, repo, ids } = await history();
    const { snapshot: first } = await findSnapshot(repo, ids[0]!);
    const blob = await findBlob(repo, first.tree, 'f7.txt');
    const location = repo.index.lookup(blob)!;
    await flipByte(join(work, 'repo', packFileName(toHex(location.packId))), location.offset + Math.floor(location.length / 2));
    // f7.txt (3 KB) is stored in a group with its small neighbours (and small chunks of larger files):
    // the damage is every member's, and the search stops at the first member it reads, naming that
    // blob and a file holding it.
    expect(location.codec).toBe('group');
    const holders = new Map<string, string[]>(); // blob hex → the files holding it
    const walk = async (tree: Uint8Array, prefix: string): Promise<void> => {
      for (const node of await repo.loadTree(tree, prefix)) {
        if (node.subtree !== undefined) await walk(node.subtree, `${prefix}${node.name}/`);
        for (const id of node.content ?? []) holders.set(toHex(id), [...(holders.get(toHex(id)) ?? []), `${prefix}${node.name}`]);
      }
    };
    await walk(first.tree, '');
    for (const threads of [0, 1, 2]) {
      const failed = await search(repo, { pattern: 'needle', threads }).catch((error: unknown) => error);
      expect(isCairnError(failed, 'ERR_INTEGRITY'), `threads ${threads}: ${String(failed)}`).toBe(true);
      const hex = /data blob ([0-9a-f]{64})/.exec(String(failed))?.[1] ?? '';
      const named = repo.index.lookup(Buffer.from(hex, 'hex'));
      expect(named?.packId, String(failed)).toEqual(location.packId);
      expect(named?.offset).toBe(location.offset); // a member of the damaged group
      expect(holders.get(hex)!.some((file) => String(failed).includes(file)), String(failed)).toBe(true);
    }
  });

  it('holds at most a few batches in flight: adding waits (back-pressure) while the worker is behind, and every content comes back', { timeout: 60_000 }, async () => {
    const results = new Map<number, PooledResult>();
    const pool = createGrepPool({ search: { pattern: 'needle', fixed: true }, threads: 1, zstd: await loadZstd(), onResult: (n, r) => results.set(n, r), describe: (n) => `content ${n}` });
    const plain = Buffer.from(hexText(GREP_BATCH_BYTES, 5, 'needle'));
    const id = blobId(plain);
    let queuedBeforeWaiting = -1;
    for (let n = 0; n < 40; n += 1) {
      pool.blob(id, plain, plain.length, codecCode('none'));
      const room = pool.end(n);
      if (room !== undefined) {
        if (queuedBeforeWaiting === -1) queuedBeforeWaiting = n + 1;
        await room;
      }
    }
    await pool.drain();
    await pool.close();
    // 40 MiB were searched, never more than 8 MiB (and the batch being filled) at once.
    expect(queuedBeforeWaiting).toBeGreaterThan(0);
    expect(queuedBeforeWaiting).toBeLessThanOrEqual(9);
    expect(results.size).toBe(40);
    const lines = plain.toString('utf8').split('\n').filter((line) => line.includes('needle')).length;
    expect(lines).toBeGreaterThan(100);
    expect([...results.values()].map((r) => [r.count, r.bytes])).toEqual(Array.from({ length: 40 }, () => [lines, plain.length]));
  });
});

/** The first blob of the file named `name` anywhere under `tree`. */
async function findBlob(repo: Repository, tree: Uint8Array, name: string): Promise<Uint8Array> {
  for (const node of await repo.loadTree(tree, 'tree')) {
    if (node.name === name && node.content?.[0] !== undefined) return node.content[0];
    if (node.subtree !== undefined) {
      const found = await findBlob(repo, node.subtree, name).catch(() => null);
      if (found !== null) return found;
    }
  }
  throw new Error(`no ${name}`);
}
