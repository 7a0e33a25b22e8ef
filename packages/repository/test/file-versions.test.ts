import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError, toHex } from '@cairn/core';
import { backup, dumpFile, fileVersions, initRepository, restoreFile, snapshotPathOf } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { flipByte, seededBytes, tempDir } from './helpers.js';

/** Five snapshots of proj/ whose conf.txt goes v1, v2, v1 again, v3, v3; data.bin is 3 MB and never changes. */
async function history() {
  const work = await tempDir();
  const proj = join(work, 'proj');
  await mkdir(join(proj, 'other'), { recursive: true });
  await writeFile(join(proj, 'other', 'x.txt'), 'never looked at\n');
  await writeFile(join(proj, 'data.bin'), seededBytes(3_000_000, 7));
  const repo = await initRepository(createLocalBackend(join(work, 'repo')));
  const contents = ['first\n', 'second, longer\n', 'first\n', 'third\n', null];
  const ids: string[] = [];
  for (const [i, text] of contents.entries()) {
    if (text !== null) await writeFile(join(proj, 'conf.txt'), text);
    const done = await backup(repo, { source: createLocalSource(), paths: [proj], time: new Date(Date.UTC(2026, 0, i + 1)) });
    ids.push(done.id);
  }
  return { work, proj, repo, ids };
}

async function bytesOf(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('fileVersions', () => {
  it('groups the snapshots by content, oldest first; a content that comes back keeps its first number', async () => {
    const { proj, repo, ids } = await history();
    const result = await fileVersions(repo, 'proj/conf.txt');
    expect(result.searched).toBe(5);
    expect(result.versions.map((v) => [v.number, v.size, v.holders.map((h) => h.snapshotId)])).toEqual([
      [1, 6, [ids[0], ids[2]]],
      [2, 15, [ids[1]]],
      [3, 6, [ids[3], ids[4]]],
    ]);
    expect(new Set(result.versions.map((v) => v.contentId)).size).toBe(3);
    // v1 came back in snapshot 3 after v2; v3's second holder is the same content again, not a return.
    expect(result.versions.map((v) => v.holders.map((h) => h.returned))).toEqual([[false, true], [false], [false, false]]);
    // Snapshots 4 and 5 share every tree: 4 distinct root trees and 4 distinct proj trees, each read once.
    expect(result.treesLoaded).toBe(8);
    // An absolute path below the backed-up folder names the same file.
    const absolute = await fileVersions(repo, join(proj, 'conf.txt'));
    expect(absolute.versions.map((v) => v.contentId)).toEqual(result.versions.map((v) => v.contentId));
  });

  it('a path in no snapshot, and a folder, are ERR_NOT_FOUND naming the path', async () => {
    const { repo } = await history();
    await expect(fileVersions(repo, 'proj/missing.txt')).rejects.toThrow(/no snapshot holds a file proj\/missing\.txt \(searched 5 snapshots\)/);
    await expect(fileVersions(repo, 'proj/other')).rejects.toThrow(/proj\/other is a folder/);
  });

  it('snapshotPathOf maps a backed-up absolute path and leaves a snapshot path as it is', () => {
    expect(snapshotPathOf({ paths: ['/home/ana/proj'] }, '/home/ana/proj/src/a.ts')).toEqual(['proj', 'src', 'a.ts']);
    expect(snapshotPathOf({ paths: ['/home/ana/proj'] }, 'proj/src/a.ts')).toEqual(['proj', 'src', 'a.ts']);
    expect(snapshotPathOf({ paths: ['/home/ana/proj'] }, '/proj/a.ts')).toEqual(['proj', 'a.ts']);
    expect(snapshotPathOf({ paths: ['/'] }, '/etc/hosts')).toEqual(['etc', 'hosts']);
  });
});

describe('dumpFile and restoreFile', () => {
  it('dump streams a multi-blob file byte for byte; a folder is refused before any byte', async () => {
    const { proj, repo, ids } = await history();
    const { versions } = await fileVersions(repo, 'proj/data.bin');
    expect(versions[0]!.holders[0]!.node.content!.length).toBeGreaterThan(1);
    expect((await bytesOf(dumpFile(repo, ids[4]!, 'proj/data.bin'))).equals(await readFile(join(proj, 'data.bin')))).toBe(true);
    await expect(bytesOf(dumpFile(repo, ids[4]!, 'proj/other'))).rejects.toThrow(/proj\/other is a folder/);
    await expect(bytesOf(dumpFile(repo, ids[4]!, 'proj/nope'))).rejects.toThrow(/has no proj\/nope/);
  });

  it('restoreFile never replaces an existing file without overwrite, and writes the version bytes', async () => {
    const { work, repo, ids } = await history();
    const out = join(work, 'out');
    const target = createLocalTarget(out);
    await restoreFile(repo, ids[1]!, 'proj/conf.txt', { target, name: 'conf.txt.v2' });
    expect(await readFile(join(out, 'conf.txt.v2'), 'utf8')).toBe('second, longer\n');
    const refused = await restoreFile(repo, ids[0]!, 'proj/conf.txt', { target, name: 'conf.txt.v2' }).catch((error: unknown) => error);
    expect(isCairnError(refused, 'ERR_EXISTS')).toBe(true);
    expect(await readFile(join(out, 'conf.txt.v2'), 'utf8')).toBe('second, longer\n');
    await restoreFile(repo, ids[0]!, 'proj/conf.txt', { target, name: 'conf.txt.v2', overwrite: true });
    expect(await readFile(join(out, 'conf.txt.v2'), 'utf8')).toBe('first\n');
  });

  it('every blob is checked: a damaged version is not written, and dump stops with ERR_INTEGRITY', async () => {
    const { work, repo, ids } = await history();
    const { versions } = await fileVersions(repo, 'proj/conf.txt');
    const blob = versions[1]!.holders[0]!.node.content![0]!;
    const location = repo.index.lookup(blob)!;
    const pack = toHex(location.packId);
    await flipByte(join(work, 'repo', 'data', pack.slice(0, 2), pack), location.offset + Math.floor(location.length / 2));
    const out = join(work, 'out');
    const failed = await restoreFile(repo, ids[1]!, 'proj/conf.txt', { target: createLocalTarget(out), name: 'conf.txt' }).catch((error: unknown) => error);
    expect(isCairnError(failed, 'ERR_INTEGRITY'), String(failed)).toBe(true);
    await expect(readFile(join(out, 'conf.txt'))).rejects.toThrow(/ENOENT/);
    await expect(bytesOf(dumpFile(repo, ids[1]!, 'proj/conf.txt'))).rejects.toThrow(/conf|blob/);
  });
});
