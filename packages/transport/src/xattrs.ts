import { closeSync, constants, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { dirname, basename } from 'node:path';
import { CairnError, fromSystemError, holdsRawBytes, nameFromBytes } from '@cairn/core';
import type { Xattr } from '@cairn/core';
import { fsPath } from './fs-path.js';
import type { NativeFs } from './native-fs.js';
import { systemError as nativeError } from './native-fs.js';

/** What cairn uses of @napi-rs/xattr (it never follows a symlink; paths are strings). */
interface XattrModule {
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Buffer | null;
  setAttributeSync(path: string, name: string, value: Uint8Array): void;
}

let loaded: XattrModule | CairnError | undefined;

/**
 * The native extended-attribute module, loaded on first use (importing the transport never
 * loads it); a CairnError ERR_UNSUPPORTED when it cannot be loaded on this platform.
 */
export function xattrModule(): XattrModule | CairnError {
  if (loaded !== undefined) return loaded;
  try {
    loaded = createRequire(import.meta.url)('@napi-rs/xattr') as XattrModule;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    loaded = new CairnError('ERR_UNSUPPORTED', `extended attributes cannot be read or written here: the module @napi-rs/xattr did not load (${reason})`, {
      cause: error,
      hint: 'reinstall cairn for this platform to keep extended attributes',
    });
  }
  return loaded;
}

/** Whether this OS has extended attributes cairn can reach (Windows has none). */
export const xattrsSupported = process.platform !== 'win32';

/**
 * The entry `path`'s extended attributes (not following a symlink), sorted by name; empty where
 * the filesystem has none. CairnError naming it as `named` when they cannot be read.
 */
export function readXattrs(lib: XattrModule, path: string, named = path): Xattr[] {
  return viaStringPath(path, (at) => {
    let names: string[];
    try {
      names = lib.listAttributesSync(at);
    } catch (error) {
      if (isUnsupported(error)) return [];
      throw systemError(error, named);
    }
    return attributeValues(lib, at, names, named);
  });
}

/** The values of the attributes `names` of the entry at `at` (a string path), sorted by name; those removed since they were listed are left out. */
function attributeValues(lib: XattrModule, at: string, names: readonly string[], named: string): Xattr[] {
  const out: Xattr[] = [];
  for (const name of names) {
    let value: Buffer | null;
    try {
      value = lib.getAttributeSync(at, name);
    } catch (error) {
      if (errnoName(error) === 'ENODATA') continue; // removed since it was listed
      throw systemError(error, `${named} (extended attribute ${name})`);
    }
    if (value !== null) out.push({ name, value: new Uint8Array(value) });
  }
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

/**
 * The extended attributes of the entry `name` of the open folder `dirfd` (not following a
 * symlink), sorted by name, as readXattrs gives them, with the native calls from the folder's
 * descriptor (native-fs.ts): one call for the names, one per value. An entry whose name is not
 * valid UTF-8 is no obstacle here. CairnError naming the entry as `named` when they cannot be read.
 */
export function readXattrsAt(native: NativeFs, dirfd: number, name: string, named: string): Xattr[] {
  const entry = fsPath(name);
  const listed = native.listXattrsAt(dirfd, entry);
  if (typeof listed === 'number') {
    const error = nativeError(listed, 'llistxattr', named);
    if (isUnsupported(error)) return [];
    throw systemError(error, named);
  }
  const out: Xattr[] = [];
  for (const bytes of listed) {
    const attribute = nameFromBytes(bytes);
    // A tree records attribute names as text: one that is not UTF-8 is left out.
    if (holdsRawBytes(attribute)) continue;
    const value = native.getXattrAt(dirfd, entry, bytes);
    if (typeof value === 'number') {
      const error = nativeError(value, 'lgetxattr', named);
      if (error.code === 'ENODATA') continue; // removed since it was listed
      throw systemError(error, `${named} (extended attribute ${attribute})`);
    }
    out.push({ name: attribute, value: new Uint8Array(value.buffer, value.byteOffset, value.length) });
  }
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

/**
 * Sets every extended attribute of `xattrs` on the entry `path` (not following a symlink). Tries
 * them all, then throws one CairnError naming the path and each attribute that could not be set.
 */
export function writeXattrs(lib: XattrModule, path: string, xattrs: readonly Xattr[]): void {
  viaStringPath(path, (at) => {
    const failed: { name: string; error: unknown }[] = [];
    for (const { name, value } of xattrs) {
      try {
        lib.setAttributeSync(at, name, value);
      } catch (error) {
        failed.push({ name, error });
      }
    }
    const first = failed[0];
    if (first === undefined) return;
    const list = failed.map(({ name, error }) => `${name} (${reasonOf(error)})`).join(', ');
    const code = isUnsupported(first.error) ? 'ERR_UNSUPPORTED' : systemError(first.error, path).code;
    throw new CairnError(code, `${path}: extended attributes not set: ${list}`, { cause: first.error });
  });
}

/**
 * Calls `use` with a string path to the entry `path` (the module takes strings only). A path that
 * holds bytes that are not UTF-8 is reached on Linux through an open folder: its parent
 * (/proc/self/fd/<fd>/<name>) when its own name is valid UTF-8, else the entry itself when it
 * is a folder (/proc/self/fd/<fd>/.). Any other such entry is ERR_UNSUPPORTED naming it.
 */
function viaStringPath<T>(path: string, use: (at: string) => T): T {
  if (!holdsRawBytes(path)) return use(path);
  const unreachable = (): CairnError => new CairnError('ERR_UNSUPPORTED', `${path}: its extended attributes cannot be reached: its name is not valid UTF-8`);
  if (process.platform !== 'linux') throw unreachable();
  const name = basename(path);
  const itself = holdsRawBytes(name);
  const folder = itself ? path : dirname(path);
  let fd: number;
  try {
    fd = openSync(fsPath(folder), constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (itself ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (itself && (code === 'ENOTDIR' || code === 'ELOOP')) throw unreachable();
    throw fromSystemError(error, folder);
  }
  try {
    return use(`/proc/self/fd/${fd}/${itself ? '.' : name}`);
  } finally {
    closeSync(fd);
  }
}

const errnoNames = new Map(Object.entries(osConstants.errno).map(([name, number]) => [number, name]));

/** The errno name of a module error ("... (os error 95)"), or of a Node error's code. */
function errnoName(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('E')) return code;
  const match = /\(os error (\d+)\)/.exec(error instanceof Error ? error.message : String(error));
  return match === null ? undefined : errnoNames.get(Number(match[1]));
}

function isUnsupported(error: unknown): boolean {
  const name = errnoName(error);
  return name === 'ENOTSUP' || name === 'EOPNOTSUPP';
}

/** The OS's words for the error: "Operation not permitted". */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(os error \d+\)$/, '');
}

function systemError(error: unknown, what: string): CairnError {
  const code = errnoName(error);
  return fromSystemError(Object.assign(new Error(reasonOf(error)), code === undefined ? {} : { code }), what);
}
