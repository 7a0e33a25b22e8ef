import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { fromSystemError } from '@cairn/core';
import type { Source } from '@cairn/core';
import { toEntryStat } from './entry-stat.js';
import { fsPath } from './fs-path.js';
import { compareUtf8, openLocalDir } from './local-source-dir.js';
import { openLocalFile } from './local-source-file.js';

/**
 * A Source reading the local filesystem; errors are CairnErrors naming the path.
 *
 * Metadata calls and reads are synchronous system calls behind the async interface: a backup
 * walks one entry after another, and a round trip through libuv's thread pool per lstat, open,
 * read and close cost 3x (walk) to 8x (small files) more than the calls themselves (measured on
 * /usr/share: 62k entries walked in 0.35 s sync vs 1.7 s async; read in 1.2 s vs 10.5 s).
 */
export function createLocalSource(): Source {
  return {
    name: 'local',
    resolve: (path) => resolve(path),
    join: (dir, name) => posix.join(dir, name),
    async lstat(path) {
      try {
        return toEntryStat(lstatSync(fsPath(path), { bigint: true }), path);
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    async readdir(path) {
      try {
        return readdirSync(fsPath(path)).sort(compareUtf8);
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    async readlink(path) {
      try {
        return readlinkSync(fsPath(path));
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    openFile: async (path) => openLocalFile(path),
    // A backup walks through open folders, so a folder swapped for a symlink is never followed.
    openDir: async (path, expected) => openLocalDir(path, expected),
  };
}
