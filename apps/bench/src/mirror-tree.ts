import { chmod, copyFile, lstat, mkdir, open, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/** What mirrorTree changed. */
export interface MirrorCount {
  written: number;
  kept: number;
  removed: number;
}

/**
 * Makes folder `to` hold what `from` holds, as a checkout of another version would:
 * files with the same content are left alone (same inode, same mtime), changed and new
 * ones are written (new mtime), and entries `from` does not have are removed.
 */
export async function mirrorTree(from: string, to: string): Promise<MirrorCount> {
  const count: MirrorCount = { written: 0, kept: 0, removed: 0 };
  const walk = async (src: string, dst: string): Promise<void> => {
    await mkdir(dst, { recursive: true });
    const wanted = new Set(await readdir(src));
    for (const name of await readdir(dst)) {
      if (!wanted.has(name)) {
        await rm(join(dst, name), { recursive: true, force: true });
        count.removed += 1;
      }
    }
    for (const name of [...wanted].sort()) {
      const s = join(src, name);
      const d = join(dst, name);
      const info = await lstat(s);
      const existing = await lstat(d).catch(() => undefined);
      if (info.isDirectory()) {
        if (existing !== undefined && !existing.isDirectory()) await rm(d, { force: true });
        await walk(s, d);
      } else if (info.isFile()) {
        if (existing?.isFile() === true && existing.size === info.size && (await sameContent(s, d))) {
          count.kept += 1;
          if ((existing.mode & 0o7777) !== (info.mode & 0o7777)) await chmod(d, info.mode & 0o7777);
          continue;
        }
        if (existing !== undefined) await rm(d, { recursive: true, force: true });
        await copyFile(s, `${d}.cairn-bench-tmp`);
        await chmod(`${d}.cairn-bench-tmp`, info.mode & 0o7777);
        await rename(`${d}.cairn-bench-tmp`, d);
        count.written += 1;
      } else if (info.isSymbolicLink()) {
        const target = await readlink(s);
        if (existing?.isSymbolicLink() === true && (await readlink(d)) === target) {
          count.kept += 1;
          continue;
        }
        if (existing !== undefined) await rm(d, { recursive: true, force: true });
        await symlink(target, d);
        count.written += 1;
      }
    }
  };
  await walk(from, to);
  return count;
}

/** True when files `a` and `b` (of equal size) hold the same bytes; reads 4 MiB at a time. */
async function sameContent(a: string, b: string): Promise<boolean> {
  const [fa, fb] = [await open(a, 'r'), await open(b, 'r')];
  try {
    const [ba, bb] = [Buffer.alloc(4 << 20), Buffer.alloc(4 << 20)];
    for (;;) {
      const [ra, rb] = [await fa.read(ba, 0, ba.length), await fb.read(bb, 0, bb.length)];
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await fa.close();
    await fb.close();
  }
}
