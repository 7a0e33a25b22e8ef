import { rmSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '@cairn/core';
import { stopMeasured } from './run-measured.js';

/** The tmpfs folder `--target-tmpfs` puts repositories and restores under. */
export const SHM = '/dev/shm';

/** The mount table of this machine. */
export const PROC_MOUNTS = '/proc/mounts';

/** One line of the mount table. */
export interface Mount {
  readonly device: string;
  readonly mountPoint: string;
  readonly type: string;
}

/** Filesystems held in memory: a repository there costs no disk time. */
const IN_MEMORY = new Set(['tmpfs', 'ramfs']);

/** The mounts listed in `mountsFile` (/proc/mounts), in order; octal escapes (\040 for a space) decoded. */
export async function readMounts(mountsFile = PROC_MOUNTS): Promise<Mount[]> {
  const text = await readFile(mountsFile, 'utf8');
  const unescape = (field: string): string => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
  return text.split('\n').flatMap((line) => {
    const [device, mountPoint, type] = line.split(' ');
    return device === undefined || mountPoint === undefined || type === undefined ? [] : [{ device: unescape(device), mountPoint: unescape(mountPoint), type }];
  });
}

/** The mount that holds the existing `path` (symlinks resolved): the deepest mount point above it, the last one listed where several are stacked. */
export async function filesystemOf(path: string, mounts: readonly Mount[]): Promise<Mount | undefined> {
  const real = await realpath(path);
  let best: Mount | undefined;
  for (const mount of mounts) {
    const inside = real === mount.mountPoint || real.startsWith(mount.mountPoint.endsWith('/') ? mount.mountPoint : `${mount.mountPoint}/`);
    if (inside && (best === undefined || mount.mountPoint.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

/** Throws CairnError (one line, no hint) unless `dir` exists and is on tmpfs according to `mountsFile`. */
export async function checkTmpfs(dir = SHM, mountsFile = PROC_MOUNTS): Promise<void> {
  const mount = await filesystemOf(dir, await readMounts(mountsFile)).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CairnError('ERR_NOT_FOUND', `--target-tmpfs needs ${dir} on tmpfs, and ${dir} does not exist.`, { cause: error });
    throw new CairnError('ERR_IO', `--target-tmpfs cannot tell whether ${dir} is on tmpfs: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  if (mount?.type !== 'tmpfs') {
    throw new CairnError('ERR_UNSUPPORTED', `--target-tmpfs needs ${dir} on tmpfs, and it is on ${mount === undefined ? `no filesystem listed in ${mountsFile}` : `${mount.type} (${mount.mountPoint})`}.`);
  }
}

/** Where one compare run puts its repositories and restores, and how the report says so. */
export interface TargetDir {
  readonly dir: string;
  readonly tmpfs: boolean;
  /** The filesystem of `dir`, or of the work folder on disk. */
  readonly filesystem: Mount | undefined;
  /** The report's line: "repository and restore on tmpfs (…)" or "… on disk (ext4 at /) …". */
  readonly description: string;
  /** Removes the tmpfs folder (unless `keep`); nothing to do on disk, where the run's folder holds them. */
  close(): Promise<void>;
}

/**
 * With `tmpfs`: a fresh folder /dev/shm/cairn-bench-<pid>-XXXXXX (call checkTmpfs first),
 * removed by close() or, the tools running stopped first, when the process is interrupted
 * (SIGINT, SIGTERM, SIGHUP).
 * Without: `runDir`, in the work folder.
 */
export async function openTargetDir(options: { readonly runDir: string; readonly work: string; readonly tmpfs: boolean; readonly keep: boolean }): Promise<TargetDir> {
  const mounts = await readMounts().catch(() => []);
  if (!options.tmpfs) {
    const filesystem = await filesystemOf(options.work, mounts).catch(() => undefined);
    const where = filesystem === undefined ? 'an unknown filesystem' : `${filesystem.type} at ${filesystem.mountPoint}`;
    const kind = filesystem !== undefined && IN_MEMORY.has(filesystem.type) ? filesystem.type : 'disk';
    return { dir: options.runDir, tmpfs: false, filesystem, description: `repository and restore on ${kind} (${where}), in --work ${options.work}`, close: async () => {} };
  }
  const dir = await mkdtemp(join(SHM, `cairn-bench-${process.pid}-`));
  const filesystem = await filesystemOf(dir, mounts).catch(() => undefined);
  // The tools are stopped first: one still running would write into the folder after it is gone.
  const onSignal = (signal: NodeJS.Signals): void =>
    void stopMeasured().finally(() => {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      process.kill(process.pid, signal);
    });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.once(signal, onSignal);
  return {
    dir,
    tmpfs: true,
    filesystem,
    description: `repository and restore on tmpfs (${dir}); the source stays in --work ${options.work}`,
    close: async () => {
      for (const signal of signals) process.off(signal, onSignal);
      if (!options.keep) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
