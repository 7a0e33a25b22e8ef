import { copyFile, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fromSystemError } from '@cairn/core';

/** True when something exists at `path` (symlinks are not followed). */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

/** True when `path` is a regular file. */
export async function isFile(path: string): Promise<boolean> {
  return lstat(path).then((info) => info.isFile(), () => false);
}

/** Copies a regular file (keeping its mode), creating the destination's folders; false when the source is not a regular file. */
export async function copyRegular(from: string, to: string): Promise<boolean> {
  if (!(await isFile(from))) return false;
  try {
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  } catch (error) {
    throw fromSystemError(error, `cannot copy ${from} to ${to}`);
  }
  return true;
}

/** Copies the regular files directly in folder `from` whose names pass `keep` into `to`; returns the names copied. */
export async function copyFolderFiles(from: string, to: string, keep: (name: string) => boolean = () => true): Promise<string[]> {
  const names = await readdir(from).catch(() => [] as string[]);
  const copied: string[] = [];
  for (const name of names.sort()) {
    if (keep(name) && (await copyRegular(join(from, name), join(to, name)))) copied.push(name);
  }
  return copied;
}

/** Runs `work` with a fresh temporary folder, removed afterwards whatever happens. */
export async function withTempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
