import { lstat, readdir, readlink } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import { fromSystemError } from '@cairn/core';
import type { Source } from '@cairn/core';
import { toEntryStat } from './entry-stat.js';
import { openLocalFile } from './local-source-file.js';

/** Orders names by their UTF-8 bytes (not by UTF-16 code units, as Array#sort would). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A Source reading the local filesystem; errors are CairnErrors naming the path. */
export function createLocalSource(): Source {
  return {
    name: 'local',
    resolve: (path) => resolve(path),
    join: (dir, name) => posix.join(dir, name),
    async lstat(path) {
      try {
        return toEntryStat(await lstat(path, { bigint: true }), path);
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    async readdir(path) {
      try {
        return (await readdir(path)).sort(compareUtf8);
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    async readlink(path) {
      try {
        return await readlink(path);
      } catch (error) {
        throw fromSystemError(error, path);
      }
    },
    openFile: (path) => openLocalFile(path),
  };
}
