import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** What a folder holds, in one hash: names, types, sizes and contents. */
export interface TreeDigest {
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly bytes: number;
  /** SHA-256 of every entry's line, in sorted order. */
  readonly hash: string;
  /** One line per entry: type, path, size and content hash (file) or link target. */
  readonly lines: readonly string[];
}

const SMALL_FILE = 1 << 20;

/**
 * Walks `root` (not following symlinks) and hashes every file's content. Two folders
 * with the same digest hold the same names, file sizes, contents and link targets;
 * modes and times are not compared. Fifos, sockets and devices are left out.
 */
export async function digestTree(root: string): Promise<TreeDigest> {
  const lines: string[] = [];
  let files = 0;
  let dirs = 0;
  let symlinks = 0;
  let bytes = 0;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const path = join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const info = await lstat(path);
      if (info.isDirectory()) {
        dirs += 1;
        lines.push(`d ${rel}`);
        await walk(path, rel);
      } else if (info.isFile()) {
        files += 1;
        bytes += info.size;
        lines.push(`f ${rel} ${info.size} ${await hashFile(path, info.size)}`);
      } else if (info.isSymbolicLink()) {
        symlinks += 1;
        lines.push(`l ${rel} -> ${await readlink(path)}`);
      }
    }
  };
  await walk(root, '');
  const hash = createHash('sha256');
  for (const line of lines) hash.update(`${line}\n`);
  return { files, dirs, symlinks, bytes, hash: hash.digest('hex'), lines };
}

/** The first line where two digests differ, for a message; undefined when they are equal. */
export function firstDifference(expected: TreeDigest, actual: TreeDigest): string | undefined {
  if (expected.hash === actual.hash) return undefined;
  const a = new Set(actual.lines);
  const missing = expected.lines.find((line) => !a.has(line));
  if (missing !== undefined) return `expected ${missing}`;
  const e = new Set(expected.lines);
  const extra = actual.lines.find((line) => !e.has(line));
  return extra === undefined ? 'the entries are in another order' : `unexpected ${extra}`;
}

async function hashFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  if (size < SMALL_FILE) return hash.update(await readFile(path)).digest('hex');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
