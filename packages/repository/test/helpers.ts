import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, link, lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { initRepository } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalBackend } from '@cairn/transport';

const made: string[] = [];

/** A fresh temporary folder, removed after the test. */
export async function tempDir(prefix = 'cairn-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** True when the shell finds `name` (a Debian tool a test drives: zstd, python3, git, …). */
export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function seededBytes(length: number, seed = 1): Buffer {
  const words = new Uint32Array(Math.ceil(length / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer, 0, length);
}

/** Inverts the byte at `at` of a file in place (damage for corruption tests). */
export async function flipByte(file: string, at: number): Promise<void> {
  const handle = await open(file, 'r+');
  const one = Buffer.alloc(1);
  await handle.read(one, 0, 1, at);
  one[0] = (one[0] ?? 0) ^ 0xff;
  await handle.write(one, 0, 1, at);
  await handle.close();
}

const OLD = new Date('2001-02-03T04:05:06.789Z');

/**
 * The tree the issue names: nested and empty folders, a 0-byte file, a large file,
 * CRLF and NUL content, unicode names, symlinks (to a file, dangling, to a folder),
 * two hardlinked files, modes 0600/0755 and old mtimes.
 */
export async function buildSampleTree(root: string, options: { bigFileSize?: number } = {}): Promise<void> {
  await mkdir(join(root, 'src', 'deep', 'deeper'), { recursive: true });
  await mkdir(join(root, 'empty'));
  await mkdir(join(root, 'empty-too', 'nested-empty'), { recursive: true });
  await writeFile(join(root, 'zero.bin'), '');
  await writeFile(join(root, 'big.bin'), seededBytes(options.bigFileSize ?? 50 * 1024 * 1024, 7));
  await writeFile(join(root, 'crlf.txt'), 'line one\r\nline two\r\n\r\nlast');
  await writeFile(join(root, 'nul.bin'), Buffer.from([0, 0, 1, 0, 255, 0, 0]));
  await writeFile(join(root, 'src', 'main.ts'), 'export const answer = 42;\n'.repeat(500));
  await writeFile(join(root, 'src', 'deep', 'deeper', 'leaf.md'), '# leaf\n');
  await writeFile(join(root, 'unicodé – 日本語 🎉.txt'), 'ünïcödé\n');
  await mkdir(join(root, 'ordnér ñ'));
  await writeFile(join(root, 'ordnér ñ', 'файл.txt'), 'кириллица\n');
  await symlink('src/main.ts', join(root, 'link-to-file'));
  await symlink('does/not/exist', join(root, 'dangling-link'));
  await symlink('src', join(root, 'link-to-dir'));
  await writeFile(join(root, 'hard-a.txt'), 'shared by two names\n');
  await link(join(root, 'hard-a.txt'), join(root, 'src', 'hard-b.txt'));
  await writeFile(join(root, 'secret.key'), 'private\n');
  await chmod(join(root, 'secret.key'), 0o600);
  if (process.getuid?.() === 0) await chown(join(root, 'secret.key'), 1234, 5678);
  await writeFile(join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(root, 'run.sh'), 0o755);
  await chmod(join(root, 'empty'), 0o700);
  for (const file of ['crlf.txt', 'secret.key', 'run.sh', 'src/main.ts', 'hard-a.txt']) await utimes(join(root, file), OLD, OLD);
  await utimes(join(root, 'src', 'deep'), OLD, OLD);
}

/** What a tree holds, entry by entry: type, mode, mtime (µs), size, content hash, link target, hardlink group. */
export async function describeTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const inodes = new Map<bigint, string>();
  const visit = async (rel: string): Promise<void> => {
    const full = join(root, rel);
    const st = await lstat(full, { bigint: true });
    const mode = `${(Number(st.mode) & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    const mtime = (st.mtimeNs / 1000n).toString();
    let what: string;
    if (st.isSymbolicLink()) what = `symlink -> ${await readlink(full)}`;
    else if (st.isDirectory()) what = `dir ${mode} ${mtime}`;
    else {
      const hash = createHash('sha256').update(await readFile(full)).digest('hex');
      let group = '';
      if (st.nlink > 1n) {
        const first = inodes.get(st.ino);
        if (first === undefined) inodes.set(st.ino, rel);
        group = ` linked-with ${first ?? rel}`;
      }
      what = `file ${mode} ${mtime} ${st.size} ${hash}${group}`;
    }
    if (rel !== '') out.set(rel, what);
    if (st.isDirectory()) {
      const names = (await readdir(full)).sort();
      for (const name of names) await visit(rel === '' ? name : `${rel}/${name}`);
    }
  };
  await visit('');
  return out;
}

/** A temp folder with the sample tree at `<work>/<name>` and a new, empty repository at `<work>/repo`. */
export async function sampleRepo(name = 'tree', options: { bigFileSize?: number } = {}): Promise<{ work: string; source: string; repo: Repository }> {
  const work = await tempDir();
  const source = join(work, name);
  await buildSampleTree(source, options);
  const repo = await initRepository(createLocalBackend(join(work, 'repo')));
  return { work, source, repo };
}
