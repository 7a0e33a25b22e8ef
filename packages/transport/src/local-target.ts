import { link, lstat, mkdir, open, rename, rm, stat, symlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CairnError, fromSystemError } from '@cairn/core';
import type { Target } from '@cairn/core';
import { nodeTypeOf, toEntryStat } from './entry-stat.js';
import { errnoOf, writeAll } from './file-io.js';
import { createFolderGuard } from './folder-guard.js';
import { applyMetadata, assertMetadata } from './set-metadata.js';
import { assertTargetPath, tempNameFor } from './target-path.js';

/**
 * A Target writing a restore below the local folder `root` (created when first used).
 * Files, symlinks and hardlinks are made under a temporary name and renamed over their
 * final name, so an existing symlink is replaced, never written through; a folder above
 * a path is used only when it is a real folder.
 */
export function createLocalTarget(root: string): Target {
  if (typeof root !== 'string' || root === '') {
    throw new TypeError(`target root must be a non-empty string, got ${JSON.stringify(root)}`);
  }
  const base = resolve(root);
  const guard = createFolderGuard(base);
  const full = (path: readonly string[]): string => join(base, ...path);
  let ready: Promise<void> | undefined;

  /** Creates the root folder; it may be a symlink to a folder (the user chose it), but it must be a folder. */
  const makeRoot = async (): Promise<void> => {
    try {
      await mkdir(base, { recursive: true });
      if (!(await stat(base)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'EEXIST' });
    } catch (error) {
      ready = undefined;
      const code = errnoOf(error);
      throw code === 'EEXIST' || code === 'ENOTDIR'
        ? new CairnError('ERR_EXISTS', `cannot restore into ${base}: it exists and is not a folder`, { cause: error })
        : fromSystemError(error, base);
    }
  };

  /** Checks `path`, creates the root once, and checks the folders above `path`. */
  const prepare = async (path: readonly string[]): Promise<string> => {
    assertTargetPath(path);
    ready ??= makeRoot();
    await ready;
    await guard.requireParents(path);
    return full(path);
  };

  /** Makes an entry at a temporary name next to `final` with `make`, then renames it over `final`. */
  const replaceWith = async (path: readonly string[], make: (temp: string) => Promise<void>, hardlink = false): Promise<void> => {
    const final = await prepare(path);
    const temp = full([...path.slice(0, -1), tempNameFor(path[path.length - 1] ?? '')]);
    try {
      await make(temp);
      await rename(temp, final);
      // rename() does nothing when both names are already links of one file: drop the temporary name.
      if (hardlink) await rm(temp, { force: true });
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      // OS errors are translated; the caller's own errors (from `data`, bad pieces) pass unchanged.
      throw errnoOf(error) === undefined ? error : fromSystemError(error, final);
    }
  };

  return {
    location: base,

    async lstat(path) {
      assertTargetPath(path);
      if ((await guard.parents(path)).state !== 'ok') return null;
      try {
        return toEntryStat(await lstat(full(path), { bigint: true }), full(path));
      } catch (error) {
        if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return null;
        throw fromSystemError(error, full(path));
      }
    },

    async mkdir(path) {
      const dir = await prepare(path);
      try {
        await mkdir(dir);
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw fromSystemError(error, dir);
        const type = await lstat(dir, { bigint: true }).then(nodeTypeOf, (e: unknown) => {
          throw fromSystemError(e, dir);
        });
        if (type !== 'dir') {
          throw new CairnError('ERR_EXISTS', `${dir} exists and is a ${type ?? 'unknown entry'}, not a folder`, { cause: error });
        }
      }
      guard.add(path);
    },

    async writeFile(path, data) {
      await replaceWith(path, async (temp) => {
        let handle: FileHandle | undefined = await open(temp, 'wx', 0o600);
        try {
          for await (const piece of data) {
            if (!(piece instanceof Uint8Array)) throw new TypeError(`file data must be Uint8Arrays, got ${typeof piece}`);
            await writeAll(handle, [piece]);
          }
          // No fsync per file: like restic and borg, a restore relies on the rename for
          // atomicity, not durability (one fsync per file made restores 5x slower).
          await handle.close();
          handle = undefined;
        } finally {
          await handle?.close().catch(() => undefined);
        }
      });
    },

    async symlink(path, linkTarget) {
      if (typeof linkTarget !== 'string' || linkTarget === '' || linkTarget.includes('\0')) {
        throw new TypeError(`a symlink target must be a non-empty string without NUL, got ${JSON.stringify(linkTarget)}`);
      }
      await replaceWith(path, (temp) => symlink(linkTarget, temp));
    },

    async link(existing, path) {
      const source = await prepare(existing);
      await replaceWith(path, (temp) => link(source, temp), true);
    },

    async remove(path) {
      assertTargetPath(path);
      if ((await guard.parents(path)).state !== 'ok') return;
      try {
        await rm(full(path), { recursive: true, force: true });
      } catch (error) {
        throw fromSystemError(error, full(path));
      } finally {
        guard.forget(path);
      }
    },

    async setMetadata(path, type, meta) {
      assertMetadata(meta);
      await applyMetadata(await prepare(path), type, meta);
    },
  };
}
