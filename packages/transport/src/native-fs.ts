import { createRequire } from 'node:module';
import { getSystemErrorMap } from 'node:util';

/** What cairn-fs.node offers (src/native/cairn-fs.c says what each call does). */
export interface NativeFs {
  /** Values per name in lstatAt's output: mode, uid, gid, size, mtime ns, ctime ns, ino, dev, nlink, rdev. */
  readonly STAT_FIELDS: number;
  /** fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) of each name into `out`; the errno of each (0: done). */
  lstatAt(dirfd: number, names: readonly (string | Buffer)[], out: BigInt64Array): Int32Array;
  /**
   * The folder's entries sorted by their bytes, each with its fstatat (STAT_FIELDS values per
   * name in `rows`, its errno in `errnos`); a name is a string when valid UTF-8, else its bytes.
   * A negative errno when the folder cannot be listed.
   */
  scanAt(dirfd: number): { names: (string | Buffer)[]; errnos: Int32Array; rows: BigInt64Array } | number;
  /** fstat(fd) into the first STAT_FIELDS values of `out`; its errno (0: done). */
  fstatInto(fd: number, out: BigInt64Array): number;
  /**
   * openat(dirfd, name) read-only, close-on-exec, never following a symlink (a folder with
   * O_DIRECTORY when `folder`, else with O_NONBLOCK), and its fstat into `out`: the new
   * descriptor, or a negative errno (nothing left open).
   */
  openAt(dirfd: number, name: string | Buffer, folder: boolean, out: BigInt64Array): number;
  /**
   * Asks the kernel to start reading those of the regular files `names` of the folder whose first
   * page is not in memory (their first 4 MiB), in a thread of Node's pool from a duplicate of
   * `dirfd`; returns at once and calls `done` with how many it found not in memory (none on a
   * filesystem that cannot say, such as tmpfs). A name it cannot open is skipped (TypeError only
   * for what is no entry name).
   */
  prefetchAt(dirfd: number, names: readonly (string | Buffer)[], done: (uncached: number) => void): void;
  /**
   * The regular file `name` of the folder read whole in one call: opened as openAt opens a file,
   * its fstat into out[0, STAT_FIELDS), read from offset 0 until `buffer` is full or the file
   * ends, its fstat again into out[STAT_FIELDS, 2 STAT_FIELDS), with `xattrs` the length of its
   * attribute-name list at out[2 STAT_FIELDS] (-1: unknown), closed. The bytes read, or a
   * negative errno (NOT_REGULAR for another kind of entry); nothing stays open.
   */
  readWholeAt(dirfd: number, name: string | Buffer, buffer: Uint8Array, out: BigInt64Array, xattrs: boolean): number;
  /**
   * A new file at the full path `path` in one call: created with O_EXCL (never through a symlink)
   * with mode's permission bits (0600 when mode is -1), `data` written with its aligned 4 KiB
   * blocks of zeros left as holes, its size set; unless mode is -1, then its owner (when `owner`
   * and it differs; EPERM and EINVAL ignored), its mode (when it differs: always when it holds
   * setuid, setgid or sticky bits, after the owner) and its mtime (floored to the microsecond;
   * access time now); closed. 0, or -(errno | step << 16) with the step that failed
   * (WRITE_STEPS); a file made is then removed.
   */
  writeWholeAt(path: string | Buffer, data: Uint8Array, mode: number, uid: number, gid: number, mtimeNs: bigint, owner: boolean): number;
  /**
   * The symlink `path` (a full path) to `linkTarget` with its metadata in one call: symlink(),
   * then its owner when `owner` (EPERM and EINVAL ignored) and its mtime (floored to the
   * microsecond; access time now), never following it. 0, or -(errno | step << 16) with the step
   * that failed (SYMLINK_STEPS); a symlink made stays.
   */
  symlinkWith(linkTarget: string | Buffer, path: string | Buffer, uid: number, gid: number, mtimeNs: bigint, owner: boolean): number;
  /** The entry's extended attribute names as bytes (not following a symlink), or a negative errno. */
  listXattrsAt(dirfd: number, name: string | Buffer): Buffer[] | number;
  /** The value of the entry's attribute `attribute` (its name's bytes; not following a symlink), or a negative errno. */
  getXattrAt(dirfd: number, name: string | Buffer, attribute: Buffer): Buffer | number;
}

/** Where the module is, from this file: beside it (dist/, and the CLI's bundle), or in dist/ from src/ (tests). */
const CANDIDATES = ['./native/cairn-fs.node', '../dist/native/cairn-fs.node'];

let loaded: NativeFs | null | undefined;

/**
 * The native folder calls (Linux, when packages/transport/scripts/build-native.mjs could build
 * them), or null: the local source then reaches entries through /proc. CAIRN_NATIVE=off leaves
 * the module unloaded (to compare, or should it misbehave on some kernel).
 */
export function nativeFs(): NativeFs | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform !== 'linux' || process.env['CAIRN_NATIVE'] === 'off') return loaded;
  const load = createRequire(import.meta.url);
  for (const candidate of CANDIDATES) {
    try {
      const module = load(candidate) as NativeFs;
      if (['lstatAt', 'scanAt', 'fstatInto', 'openAt', 'readWholeAt', 'writeWholeAt', 'symlinkWith', 'prefetchAt', 'listXattrsAt', 'getXattrAt'].every((call) => typeof (module as unknown as Record<string, unknown>)[call] === 'function')) {
        loaded = module;
        break;
      }
    } catch {
      // not built here, or built for another platform: the next candidate, else none
    }
  }
  return loaded;
}

/** The system call of each step of writeWholeAt (its errors hold the step above their errno's 16 bits). */
export const WRITE_STEPS: readonly string[] = ['', 'open', 'write', 'ftruncate', 'fstat', 'fchown', 'fchmod', 'futime', 'close'];

/** The system call of each step of symlinkWith. */
export const SYMLINK_STEPS: readonly string[] = ['', 'symlink', 'lchown', 'lutime'];

/** A failure `result` of writeWholeAt (or, with SYMLINK_STEPS, of symlinkWith) as its errno and the system call that met it. */
export function writeFailure(result: number, steps: readonly string[] = WRITE_STEPS): { errno: number; syscall: string } {
  const code = -result;
  return { errno: code & 0xffff, syscall: steps[code >>> 16] ?? 'write' };
}

/** readWholeAt's answer (negated) for an entry that is not a regular file. */
export const NOT_REGULAR = 1000;

const systemErrors = getSystemErrorMap();

/** An Error as node:fs gives for `errno` from `syscall` on `path` ("ENOENT: no such file or directory, lstat '/x'", with code, errno, syscall and path). */
export function systemError(errno: number, syscall: string, path: string): NodeJS.ErrnoException {
  const [code, reason] = systemErrors.get(-Math.abs(errno)) ?? [`E${Math.abs(errno)}`, `system error ${Math.abs(errno)}`];
  return Object.assign(new Error(`${code}: ${reason}, ${syscall} '${path}'`), { code, errno: -Math.abs(errno), syscall, path });
}
