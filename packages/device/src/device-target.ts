import { posix } from 'node:path';
import { assertMetadata, assertTargetPath, CairnError, isCairnError } from '@cairn/core';
import type { Target } from '@cairn/core';
import { resolveBoardPath } from './device-source.js';
import type { Device } from './open-device.js';

/** Options of createDeviceTarget(). */
export interface DeviceTargetOptions {
  /** Called with the file bytes that crossed the link as they are written, and the board path of the file. */
  readonly onBytes?: (bytes: number, path: string) => void;
  /** Called once a file is in place under its name (board path). */
  readonly onFile?: (path: string) => void;
}

/** The temporary name a file is written under next to `name`; the same on every run, so a rerun overwrites what an interrupted one left. */
export function deviceTempName(name: string): string {
  return Buffer.byteLength(name) > 200 ? '.cairn-part' : `.${name}.cairn-part`;
}

/**
 * A restore Target on a MicroPython board below the board folder `root` (default '/',
 * created when first used). Each file goes to `.<name>.cairn-part`, is checked on the board
 * (size, and sha256 when the board has hashlib) and renamed over its name, so an
 * interrupted restore never leaves a partial file under the real name; running it again
 * completes it. Hardlinks become board-side copies; symlinks are refused (MicroPython
 * filesystems have none); mode and mtime cannot be set on a board and are left as they are.
 * With hashlib on the board it has `digest`, so a file already holding its content is not sent
 * again; the digests are kept (a dry run and the restore after it ask once), until the path changes.
 */
export function createDeviceTarget(device: Device, root = '/', options: DeviceTargetOptions = {}): Target {
  const base = resolveBoardPath(root);
  const fs = device.fs;
  const full = (path: readonly string[]): string => posix.join(base, ...path);
  let ready: Promise<void> | undefined;
  /** The board's digests asked for so far, by board path; a change to a path drops its own. */
  const digests = new Map<string, Uint8Array>();
  const changed = (at: string): void => {
    for (const key of digests.keys()) if (key === at || key.startsWith(`${at}/`)) digests.delete(key);
  };

  const ensureFolder = async (path: string): Promise<void> => {
    if (path === '/') return;
    try {
      await fs.mkdir(path);
    } catch (error) {
      if (isCairnError(error, 'ERR_NOT_FOUND')) {
        await ensureFolder(posix.dirname(path));
        await fs.mkdir(path);
        return;
      }
      if (!isCairnError(error, 'ERR_EXISTS')) throw error;
      const stat = await fs.stat(path);
      if (stat.type !== 'dir') {
        throw new CairnError('ERR_EXISTS', `cannot restore into ${path} on the board at ${device.port}: it exists and is a ${stat.type}, not a folder`, { cause: error });
      }
    }
  };

  /** Creates the root folder once (again after a failure). */
  const makeRoot = (): Promise<void> => {
    ready ??= ensureFolder(base).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };

  const prepare = async (path: readonly string[]): Promise<string> => {
    assertTargetPath(path);
    await makeRoot();
    return full(path);
  };

  return {
    location: `${device.port}:${base}`,
    // A link that closed or timed out ends the whole restore: no later entry can be written.
    failure: () => device.repl.channel.failure,

    async lstat(path) {
      assertTargetPath(path);
      const at = full(path); // asking creates nothing, not even the root
      try {
        return await fs.stat(at);
      } catch (error) {
        if (isCairnError(error, 'ERR_NOT_FOUND')) return null;
        throw error;
      }
    },

    async mkdir(path) {
      if (Array.isArray(path) && path.length === 0) return makeRoot();
      const at = await prepare(path);
      try {
        await fs.mkdir(at);
      } catch (error) {
        if (!isCairnError(error, 'ERR_EXISTS')) throw error;
        const stat = await fs.stat(at);
        if (stat.type !== 'dir') throw new CairnError('ERR_EXISTS', `${at} on the board at ${device.port} exists and is a ${stat.type}, not a folder`, { cause: error });
      }
    },

    async writeFile(path, data) {
      const at = await prepare(path);
      const temp = posix.join(posix.dirname(at), deviceTempName(posix.basename(at)));
      const onBytes = options.onBytes;
      changed(at);
      await fs.writeFile(temp, at, data, onBytes === undefined ? undefined : (bytes) => onBytes(bytes, at));
      options.onFile?.(at);
    },

    async symlink(path, linkTarget) {
      throw new CairnError('ERR_UNSUPPORTED', `cannot restore the symlink ${full(path)} -> ${linkTarget} on the board at ${device.port}: MicroPython filesystems have no symlinks`, {
        hint: 'restore the other paths with --path, or restore this one to a local folder',
      });
    },

    async link(existing, path) {
      const from = await prepare(existing);
      const at = await prepare(path);
      changed(at);
      await fs.copy(from, posix.join(posix.dirname(at), deviceTempName(posix.basename(at))), at);
    },

    async remove(path) {
      const at = await prepare(path);
      changed(at);
      try {
        await fs.remove(at);
      } catch (error) {
        if (!isCairnError(error, 'ERR_NOT_FOUND')) throw error;
      }
    },

    async setMetadata(path, _type, meta) {
      assertTargetPath(path);
      assertMetadata(meta);
    },

    // The board's hashlib.sha256: a restore leaves files that already hold their content alone.
    ...(device.info.hasHashlib ? {
      async digest(path: readonly string[]): Promise<Uint8Array> {
        assertTargetPath(path);
        const at = full(path);
        const known = digests.get(at);
        if (known !== undefined) return known;
        const sum = await fs.hash(at);
        digests.set(at, sum);
        return sum;
      },
    } : {}),
  };
}
