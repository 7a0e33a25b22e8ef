import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CairnError } from '@cairn/core';
import { samePieces, totalLength } from './bytes.js';
import { errnoOf, readFully, syncDir, writeAll } from './file-io.js';

/** Prefix of the temporary files a local backend writes next to the final name (list() skips them). */
export const TEMP_PREFIX = '.tmp-';

/** Who wrote a temporary file, read from its name. */
export interface TempOwner {
  /** The writer's host name as its name carries it (characters other than [A-Za-z0-9._] become "_"). */
  readonly host: string;
  readonly pid: number;
}

/** This host's name as temporary file names carry it. */
export function tempHost(name = hostname()): string {
  return name.replace(/[^A-Za-z0-9._]/g, '_') || '_';
}

/** A new temporary file name: `.tmp-<host>-<pid>-<16 random hex>`, so a later writer can tell whose it is. */
export function tempFileName(): string {
  return `${TEMP_PREFIX}${tempHost()}-${process.pid}-${randomBytes(8).toString('hex')}`;
}

/** The host and pid of a temporary file name, or null for other names (and for the `.tmp-<hex>` of older cairn). */
export function parseTempFileName(name: string): TempOwner | null {
  const match = /^\.tmp-([A-Za-z0-9._]+)-(\d{1,10})-[0-9a-f]{16}$/.exec(name);
  if (match === null) return null;
  return { host: match[1] ?? '', pid: Number(match[2]) };
}

/** True when the writer of temporary file `name` is provably gone: it ran on this host and no process has its pid. */
export function tempWriterGone(name: string): boolean {
  const owner = parseTempFileName(name);
  return owner !== null && owner.host === tempHost() && !processAlive(owner.pid);
}

/** True unless no process has `pid` on this host (EPERM: it exists, owned by another user). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) !== 'ESRCH';
  }
}

/**
 * Writes `pieces` to `file` without ever replacing it or showing a partial file under
 * its name: a synced temporary file in the same folder is hard-linked into place
 * (link fails when the name exists), then the folder is synced. When `file` exists
 * with the same bytes this succeeds; with other bytes it is ERR_EXISTS. With
 * `makeFolder`, a missing parent folder (not its parents) is created (and its own parent synced). Throws OS errors
 * untranslated; the temporary file is removed on every path.
 */
export async function writeExclusive(file: string, pieces: readonly Uint8Array[], makeFolder: boolean): Promise<void> {
  const temp = join(dirname(file), tempFileName());
  let handle: FileHandle | undefined;
  try {
    handle = await openTemp(temp, makeFolder);
    await writeAll(handle, pieces);
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await linkInPlace(temp, file, false, pieces);
}

/**
 * Gives the synced temporary file `temp` (anywhere on the filesystem of `file`) the name `file`
 * as writeExclusive does: a hard link (with `makeFolder`, a missing parent folder of `file` is
 * made and its own parent synced), then the folder synced. When `file` exists with the same bytes
 * (`written`, else what `temp` holds) this succeeds; with other bytes it is ERR_EXISTS. Throws OS
 * errors untranslated; `temp` is removed on every path.
 */
export async function linkInPlace(temp: string, file: string, makeFolder: boolean, written?: readonly Uint8Array[]): Promise<void> {
  let linked = false;
  try {
    try {
      await linkMakingFolder(temp, file, makeFolder);
      linked = true;
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
      await assertSameContent(file, written ?? [await readFile(temp)]);
    }
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
  if (linked) await syncDir(dirname(file));
}

async function linkMakingFolder(temp: string, file: string, makeFolder: boolean): Promise<void> {
  await inFolderMade(file, makeFolder, () => link(temp, file));
}

async function openTemp(temp: string, makeFolder: boolean): Promise<FileHandle> {
  return inFolderMade(temp, makeFolder, () => open(temp, 'wx', 0o644));
}

/**
 * `create()` of an entry at `path`; when its folder is missing (ENOENT) and `makeFolder`, the
 * folder is made and `create()` tried again. The new folder's entry is synced too, so a crash
 * cannot lose the folder of a file written in it.
 */
async function inFolderMade<T>(path: string, makeFolder: boolean, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (!makeFolder || errnoOf(error) !== 'ENOENT') throw error;
    const made = await mkdir(dirname(path)).then(() => true, (mkdirError: unknown) => {
      if (errnoOf(mkdirError) !== 'EEXIST') throw mkdirError;
      return false;
    });
    if (made) await syncDir(dirname(dirname(path)));
    return await create();
  }
}

/** Succeeds when `file` is a regular file holding exactly `pieces`; ERR_EXISTS otherwise. */
async function assertSameContent(file: string, pieces: readonly Uint8Array[]): Promise<void> {
  const differs = new CairnError('ERR_EXISTS', `${file} already exists with different content`, {
    hint: 'a file of this name was written before with other bytes; run `cairn check`',
  });
  const handle = await open(file, 'r');
  try {
    const stat = await handle.stat();
    const size = totalLength(pieces);
    if (!stat.isFile() || stat.size !== size) throw differs;
    const stored = new Uint8Array(size);
    if ((await readFully(handle, stored, 0)) !== size || !samePieces(stored, pieces)) throw differs;
  } finally {
    await handle.close();
  }
}
