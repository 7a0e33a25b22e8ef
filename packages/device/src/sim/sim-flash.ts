import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '@cairn/core';
import { FLASH } from './sim-interpreter.js';
import type { EmscriptenFs } from './sim-interpreter.js';

/**
 * Makes the flash folder the board's "/" with a user-defined VFS (a MicroPython feature)
 * over a VfsPosix without a root: VfsPosix('/flash') itself cannot rename (1.27 builds
 * both paths of a rename in one buffer, so the old path is lost and the rename fails with ENOENT).
 */
export const MOUNT_FLASH = `import os
class FlashVfs:
 def __init__(s,v):s.v=v
 def _p(s,p):return '${FLASH}' if p in ('','/') else '${FLASH}'+('' if p[0]=='/' else '/')+p
 def mount(s,r,m):pass
 def umount(s):pass
 def open(s,p,m):return s.v.open(s._p(p),m)
 def ilistdir(s,p):return s.v.ilistdir(s._p(p))
 def stat(s,p):return s.v.stat(s._p(p))
 def statvfs(s,p):return s.v.statvfs(s._p(p))
 def mkdir(s,p):s.v.mkdir(s._p(p))
 def rmdir(s,p):s.v.rmdir(s._p(p))
 def remove(s,p):s.v.remove(s._p(p))
 def rename(s,a,b):s.v.rename(s._p(a),s._p(b))
 def chdir(s,p):pass
 def getcwd(s):return ''
os.umount('/')
os.mount(FlashVfs(os.VfsPosix()),'/')
os.chdir('/')
del FlashVfs
`;

/** Copies the files and folders of a local folder onto the flash (other kinds of entry are skipped). */
export function seedFlash(fs: EmscriptenFs, from: string, to: string): void {
  let names: string[];
  try {
    names = readdirSync(from);
  } catch (error) {
    throw new CairnError('ERR_NOT_FOUND', `cannot seed the simulated board from ${from}: it is not a readable folder`, { cause: error });
  }
  for (const name of names) {
    const source = join(from, name);
    const target = `${to}/${name}`;
    const stat = lstatSync(source);
    if (stat.isDirectory()) {
      fs.mkdir(target);
      seedFlash(fs, source, target);
    } else if (stat.isFile()) {
      fs.writeFile(target, readFileSync(source));
    } else {
      continue;
    }
    fs.utime(target, stat.mtimeMs, stat.mtimeMs);
  }
}

/** Copies the flash folder `from` of an Emscripten FS into the local folder `to` (created; files overwritten, mtimes kept). */
export async function saveFlash(fs: EmscriptenFs, from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of fs.readdir(from)) {
    if (name === '.' || name === '..') continue;
    const stat = fs.stat(`${from}/${name}`);
    const mtime = new Date(stat.mtime instanceof Date ? stat.mtime.getTime() : stat.mtime);
    if (fs.isDir(stat.mode)) await saveFlash(fs, `${from}/${name}`, join(to, name));
    else if (fs.isFile(stat.mode)) await writeFile(join(to, name), fs.readFile(`${from}/${name}`));
    else continue;
    await utimes(join(to, name), mtime, mtime);
  }
}
