import type { EntryStat, Source, SourceDir } from '@cairn/core';

/**
 * How a backup reaches a root (a path the user named): a folder that holds only that entry,
 * whatever name it is asked for. Its folder opens with the source's own openDir when it has one,
 * so the walk below a root never goes by path unless the source itself only knows paths.
 */
export function rootEntry(source: Source, path: string): SourceDir {
  return byPath(source, path, () => path, async () => []);
}

/** The folder at `path` of a source without openDir: every entry is reached by its path. */
function pathDir(source: Source, path: string): SourceDir {
  return byPath(source, path, (name) => source.join(path, name), () => source.readdir(path));
}

function byPath(source: Source, path: string, entry: (name: string) => string, names: () => Promise<string[]>): SourceDir {
  const digest = source.digest;
  const xattrs = source.xattrs;
  return {
    path,
    names,
    lstat: (name) => source.lstat(entry(name)),
    readlink: (name) => source.readlink(entry(name)),
    // A path-only source (a board) has no way to tell the opened file from another: nothing to compare.
    openFile: (name) => source.openFile(entry(name)),
    openDir: async (name, expected: EntryStat) => {
      const at = entry(name);
      return source.openDir === undefined ? pathDir(source, at) : source.openDir(at, expected);
    },
    ...(digest === undefined ? {} : { digest: (name: string) => digest.call(source, entry(name)) }),
    ...(xattrs === undefined ? {} : { xattrs: (name: string) => xattrs.call(source, entry(name)) }),
    close: async () => undefined,
  };
}
