import { posix } from 'node:path';

/** The last `dir` joinName found absolute and normal: a walk joins every entry of a folder to the same one. */
let normalDir: string | undefined;

/** `dir`/`name`, as posix.join gives it: joined as they are when `dir` is an absolute normal path and `name` a plain entry name (a walk's case), else by posix.join. */
export function joinName(dir: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) return posix.join(dir, name);
  if (dir !== normalDir) {
    if (!dir.startsWith('/')) return posix.join(dir, name);
    if (dir === '/') return `/${name}`;
    if (dir.endsWith('/') || dir.endsWith('/.') || dir.endsWith('/..') || dir.includes('//') || dir.includes('/./') || dir.includes('/../')) return posix.join(dir, name);
    normalDir = dir;
  }
  return `${dir}/${name}`;
}
