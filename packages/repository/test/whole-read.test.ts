import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Source, SourceDir } from '@cairn/core';
import { backup, initRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

const chunker = { min: 1024, avg: 4096, max: 16384 };

/** What the walk asked of the source's folders, by entry name. */
interface Asked {
  readWhole: string[];
  openFile: string[];
  xattrs: string[];
}

/**
 * The local source, its folders recording what the walk asks of them; `meddle(name)` runs in
 * readWhole before the real call, and `alter` may change what it answers.
 */
function recordingSource(meddle: (name: string) => void = () => undefined, alter: (name: string, read: ReturnType<NonNullable<SourceDir['readWhole']>>) => ReturnType<NonNullable<SourceDir['readWhole']>> = (_, read) => read): Source & { asked: Asked } {
  const local = createLocalSource();
  const asked: Asked = { readWhole: [], openFile: [], xattrs: [] };
  const recording = (dir: SourceDir): SourceDir => {
    const { readWhole, xattrs } = dir;
    if (readWhole === undefined || xattrs === undefined) throw new Error('the local source offers readWhole and xattrs here');
    return {
      ...dir,
      openFile: (name, expected) => {
        asked.openFile.push(name);
        return dir.openFile(name, expected);
      },
      openDir: async (name, expected) => recording(await dir.openDir(name, expected)),
      readWhole: (name, expected, buffer) => {
        asked.readWhole.push(name);
        meddle(name);
        return alter(name, readWhole.call(dir, name, expected, buffer));
      },
      xattrs: (name) => {
        asked.xattrs.push(name);
        return xattrs.call(dir, name);
      },
    };
  };
  return { ...local, asked, openDir: async (path, expected) => recording(await local.openDir!(path, expected)) };
}

function setAttribute(path: string, name: string, value: string): void {
  execFileSync('python3', ['-c', 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode(), follow_symlinks=False)', path, name, value]);
}

function attribute(path: string, name: string): string {
  return execFileSync('python3', ['-c', 'import os, sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode(), end="")', path, name], { encoding: 'utf8' });
}

describe.runIf(process.platform === 'linux')('small files read whole (SourceDir.readWhole)', () => {
  it('reads every file no longer than the chunker\'s minimum in one call, asks their attributes only when they have some, and restores them byte for byte', async () => {
    const work = await tempDir();
    const dir = join(work, 'proj');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'small.txt'), 'small\n');
    writeFileSync(join(dir, 'tagged.txt'), 'tagged\n');
    setAttribute(join(dir, 'tagged.txt'), 'user.note', 'kept');
    writeFileSync(join(dir, 'at-min.bin'), seededBytes(1024, 1));
    writeFileSync(join(dir, 'past-min.bin'), seededBytes(1025, 2));
    writeFileSync(join(dir, 'sub', 'big.bin'), seededBytes(100_000, 3));
    linkSync(join(dir, 'small.txt'), join(dir, 'sub', 'same.txt'));
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker });
    const source = recordingSource();
    const result = await backup(repo, { source, paths: [dir] });
    expect(result.warnings).toEqual([]);
    expect(result.snapshot.summary).toMatchObject({ filesNew: 7, bytesRead: 6 + 7 + 1024 + 1025 + 100_000 });
    // The hard link's second name is the first one's content, not read again.
    expect(source.asked.readWhole.sort()).toEqual(['at-min.bin', 'empty', 'small.txt', 'tagged.txt']);
    expect(source.asked.openFile.sort()).toEqual(['big.bin', 'past-min.bin']);
    // Attributes asked for: the files read whole that have some, the files opened, the folders.
    expect(source.asked.xattrs.sort()).toEqual(['big.bin', 'past-min.bin', 'same.txt', 'sub', 'tagged.txt']);
    const out = join(work, 'out');
    expect((await restore(repo, result.id, { target: createLocalTarget(out) })).problems).toEqual([]);
    for (const name of ['empty', 'small.txt', 'tagged.txt', 'at-min.bin', 'past-min.bin', 'sub/big.bin', 'sub/same.txt']) {
      expect(readFileSync(join(out, 'proj', name)), name).toEqual(readFileSync(join(dir, name)));
    }
    expect(attribute(join(out, 'proj', 'tagged.txt'), 'user.note')).toBe('kept');
  });

  it('a file swapped for another (or removed) between the listing and its read is left out, saying why; one the source saw change while read is kept, with a warning', async () => {
    const work = await tempDir();
    const dir = join(work, 'proj');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'grows.txt'), 'before\n');
    writeFileSync(join(dir, 'swapped.txt'), 'listed\n');
    writeFileSync(join(dir, 'stays.txt'), 'stays\n');
    writeFileSync(join(dir, 'gone.txt'), 'removed before its read\n');
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker });
    const source = recordingSource((name) => {
      if (name === 'gone.txt') rmSync(join(dir, 'gone.txt'));
      if (name !== 'swapped.txt') return;
      writeFileSync(join(dir, 'other'), 'another inode\n');
      renameSync(join(dir, 'other'), join(dir, 'swapped.txt'));
    }, (name, read) => (name === 'grows.txt' && read !== null ? { ...read, after: { ...read.after, size: read.after.size + 5 } } : read));
    const result = await backup(repo, { source, paths: [dir] });
    expect(result.warnings).toEqual([
      expect.objectContaining({ kind: 'unreadable', path: join(dir, 'gone.txt'), message: `${join(dir, 'gone.txt')}: no such file or directory` }),
      expect.objectContaining({ kind: 'changed', path: join(dir, 'grows.txt'), message: expect.stringContaining('changed while it was read (size 7 -> 12, 7 bytes read)') }),
      expect.objectContaining({ kind: 'unreadable', path: join(dir, 'swapped.txt'), message: expect.stringContaining('replaced while it was read') }),
    ]);
    // The swapped and the removed file were offered to readWhole, which declined them, then opened, which said why.
    expect(source.asked.readWhole.sort()).toEqual(['gone.txt', 'grows.txt', 'stays.txt', 'swapped.txt']);
    expect(source.asked.openFile.sort()).toEqual(['gone.txt', 'swapped.txt']);
    const out = join(work, 'out');
    await restore(repo, result.id, { target: createLocalTarget(out) });
    expect(readFileSync(join(out, 'proj', 'grows.txt'), 'utf8')).toBe('before\n');
    expect(readFileSync(join(out, 'proj', 'stays.txt'), 'utf8')).toBe('stays\n');
    expect(() => readFileSync(join(out, 'proj', 'swapped.txt'))).toThrow(/ENOENT/);
    expect(() => readFileSync(join(out, 'proj', 'gone.txt'))).toThrow(/ENOENT/);
  });

  it('with a read buffer shorter than the chunker\'s minimum, offers readWhole only the files shorter than the buffer', async () => {
    const work = await tempDir();
    const dir = join(work, 'proj');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'short.bin'), seededBytes(300, 4));
    writeFileSync(join(dir, 'longer.bin'), seededBytes(700, 5));
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker });
    const source = recordingSource();
    const result = await backup(repo, { source, paths: [dir], readBufferSize: 512 });
    expect(source.asked.readWhole).toEqual(['short.bin']);
    expect(source.asked.openFile).toEqual(['longer.bin']);
    const out = join(work, 'out');
    await restore(repo, result.id, { target: createLocalTarget(out) });
    for (const name of ['short.bin', 'longer.bin']) expect(readFileSync(join(out, 'proj', name))).toEqual(readFileSync(join(dir, name)));
  });

  it('an abort in a backup of small files stops it before the next file', async () => {
    const work = await tempDir();
    const dir = join(work, 'proj');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 5; i += 1) writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')), { chunker });
    const controller = new AbortController();
    const source = recordingSource((name) => {
      if (name === 'f1.txt') controller.abort();
    });
    await expect(backup(repo, { source, paths: [dir], signal: controller.signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(source.asked.readWhole).toEqual(['f0.txt', 'f1.txt']);
  });
});
