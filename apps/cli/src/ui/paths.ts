/** Paths the web UI's API takes: a path in a snapshot ("/a/b") and a restore target (an absolute folder). */
import { isAbsolute, normalize, relative, resolve } from 'node:path';
import { ApiError } from './http.js';

/**
 * A path in a snapshot as the API takes it ("/", "/proj/a.txt"), as the engine's path in the
 * snapshot ("", "proj/a.txt"). 400 ERR_PATH when it is not absolute, holds a NUL, a backslash or
 * a "." or ".." part: the API names entries, it does not walk.
 */
export function snapshotPathParam(path: string, name = 'path'): string {
  if (!path.startsWith('/')) throw new ApiError(400, 'ERR_PATH', `${name} ${JSON.stringify(path)}: a path in the snapshot starts with "/" (e.g. /proj/a.txt)`);
  if (path.includes('\0')) throw new ApiError(400, 'ERR_PATH', `${name}: a path holds no NUL character`);
  const parts = path.split('/').filter((part) => part !== '');
  if (parts.some((part) => part === '..' || part === '.')) throw new ApiError(400, 'ERR_PATH', `${name} ${JSON.stringify(path)}: "." and ".." are refused; name the entry by its full path`);
  return parts.join('/');
}

/** The API's form of an engine path in a snapshot: "proj/a.txt" -> "/proj/a.txt". */
export function apiPath(enginePath: string): string {
  return `/${enginePath}`;
}

/**
 * A restore target: an absolute folder, already in its normal form (no "..", no "//"), inside
 * `root` when the server was given one (--restore-root). 400 ERR_PATH otherwise (403 outside the root).
 */
export function restoreTargetParam(target: unknown, root: string | undefined): string {
  if (typeof target !== 'string' || target === '') throw new ApiError(400, 'ERR_PATH', 'target: give the folder to restore into, an absolute path');
  if (target.includes('\0')) throw new ApiError(400, 'ERR_PATH', 'target: a path holds no NUL character');
  if (!isAbsolute(target)) throw new ApiError(400, 'ERR_PATH', `target ${JSON.stringify(target)} is not an absolute path: give the full path of the folder`);
  const normal = normalize(target).replace(/(.)\/+$/, '$1');
  if (normal !== target.replace(/(.)\/+$/, '$1') || target.split('/').includes('..')) {
    throw new ApiError(400, 'ERR_PATH', `target ${JSON.stringify(target)} holds "..", "." or "//": give the folder's plain absolute path (${normal})`);
  }
  if (root !== undefined) {
    const inside = relative(resolve(root), normal);
    if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) throw new ApiError(403, 'ERR_PATH', `target ${normal} is outside ${resolve(root)}, the folder this server restores into (--restore-root)`);
  }
  return normal;
}
