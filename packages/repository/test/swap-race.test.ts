import { spawn } from 'node:child_process';
import { lstat, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Source } from '@cairn/core';
import { backup, initRepository, listSnapshot } from '@cairn/repository';
import { createLocalBackend, createLocalSource } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

const FOLDERS = 20;
const FILES = 10;
const BACKUPS = 20;

/**
 * Exchanges two paths atomically (renameat2 with RENAME_EXCHANGE), over and over, until killed:
 * at every moment one of them is the real folder and the other the symlink to the outside.
 */
const swapper = `
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
print('ready', flush=True)
while True:
    if libc.renameat2(-100, a, -100, b, 2) != 0:
        sys.exit('renameat2: errno %d' % ctypes.get_errno())
`;

/** src/d holds FOLDERS folders of FILES files; outside/ holds the same names (other bytes) and a MARKER; src/d-link points at outside/. */
async function layout(): Promise<{ work: string; src: string; realFiles: Set<bigint> }> {
  const work = await tempDir();
  const src = join(work, 'src');
  const outside = join(work, 'outside');
  const realFiles = new Set<bigint>();
  for (let i = 0; i < FOLDERS; i += 1) {
    await mkdir(join(src, 'd', `sub${i}`), { recursive: true });
    await mkdir(join(outside, `sub${i}`), { recursive: true });
    for (let j = 0; j < FILES; j += 1) {
      const real = join(src, 'd', `sub${i}`, `f${j}`);
      await writeFile(real, seededBytes(2000, i * FILES + j));
      realFiles.add((await lstat(real, { bigint: true })).ino);
      await writeFile(join(outside, `sub${i}`, `f${j}`), 'outside\n');
    }
    await writeFile(join(outside, `sub${i}`, 'MARKER'), 'outside\n');
  }
  await writeFile(join(outside, 'MARKER'), 'outside\n');
  await symlink(outside, join(src, 'd-link'));
  return { work, src, realFiles };
}

describe.runIf(process.platform === 'linux')('a folder swapped for a symlink while backups run', () => {
  it('never brings a file from outside the source into a snapshot, and a backup that lost the folder says so', async () => {
    const { work, src, realFiles } = await layout();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const child = spawn('python3', ['-c', swapper, join(src, 'd'), join(src, 'd-link')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', () => reject(new Error(`the swapper stopped: ${stderr}`)));
      });
      let partial = 0;
      for (let run = 0; run < BACKUPS; run += 1) {
        const result = await backup(repo, { source: createLocalSource(), paths: [src], threads: 0, force: true });
        const files: { path: string; ino: bigint }[] = [];
        for await (const entry of listSnapshot(repo, result.id, '', { recursive: true })) {
          expect(entry.path).not.toMatch(/MARKER$/);
          if (entry.node.type === 'file') files.push({ path: entry.path, ino: entry.node.ino });
        }
        const strangers = files.filter((file) => !realFiles.has(file.ino));
        expect(strangers, `backup ${run}: files from outside the source`).toEqual([]);
        if (result.partial) {
          partial += 1;
          expect(result.warnings.map((w) => w.message).join('\n')).toMatch(/src\/d(-link)?: the (folder|symlink) was replaced while it was read/);
        } else {
          // Complete: the real folder is in the snapshot, under whichever of its two names it had
          // (under both, when it moved from one to the other between the walk's two visits).
          expect(new Set(files.map((file) => file.ino)), `backup ${run}: ${files.length} files`).toEqual(realFiles);
        }
      }
      expect(child.exitCode, stderr).toBeNull(); // the swapper ran the whole time
      console.log(`${partial} of ${BACKUPS} backups met a swapped folder and said so`);
    } finally {
      child.kill();
    }
  }, 120_000);
});

describe('a folder swapped for a symlink between its lstat and its opening', () => {
  it('is left out with a warning naming it, and nothing from outside is stored', async () => {
    const { work, src } = await layout();
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const local = createLocalSource();
    const openDir = local.openDir;
    if (openDir === undefined) throw new Error('the local source has no openDir');
    // The root opens as usual; just before the walk opens its "d", d is swapped for the symlink to outside/.
    const racing: Source = {
      ...local,
      async openDir(path, expected) {
        const root = await openDir.call(local, path, expected);
        return {
          ...root,
          async openDir(name, stat) {
            if (name === 'd') {
              await rename(join(src, 'd'), join(src, 'd.moved'));
              await symlink(join(work, 'outside'), join(src, 'd'));
            }
            return root.openDir(name, stat);
          },
        };
      },
    };
    const result = await backup(repo, { source: racing, paths: [src], threads: 0 });
    expect(result.partial).toBe(true);
    expect(result.warnings.map((w) => w.message)).toEqual([`${join(src, 'd')}: the folder was replaced while it was read (renamed, or swapped for another entry); it is left out`]);
    const paths: string[] = [];
    for await (const entry of listSnapshot(repo, result.id, '', { recursive: true })) paths.push(entry.path);
    expect(paths).toEqual(['src', 'src/d-link']);
  });
});
