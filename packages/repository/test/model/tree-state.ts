/**
 * What a local folder holds, entry by entry, as the model remembers it: path -> "dir <mode>",
 * "file <mode> <size> <sha256>[ linked-with <first path>]" or "symlink -> <target>". Also the
 * comparison of two such maps, as a short list of differences for failure messages.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Entries of a tree by relative path (the folder itself is not an entry). */
export type TreeState = Map<string, string>;

/** Describes every entry below `root`, sorted by path; `prefix` is put before each path ("alpha/"). */
export async function describeTree(root: string, prefix = ''): Promise<TreeState> {
  const out: TreeState = new Map();
  const inodes = new Map<bigint, string>();
  const visit = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(root, path);
      const st = await lstat(full, { bigint: true });
      const mode = (Number(st.mode) & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.set(prefix + path, `symlink -> ${await readlink(full)}`);
      else if (st.isDirectory()) {
        out.set(prefix + path, `dir ${mode}`);
        await visit(path);
      } else if (st.isFile()) {
        const hash = createHash('sha256').update(await readFile(full)).digest('hex').slice(0, 16);
        let group = '';
        if (st.nlink > 1n) {
          const first = inodes.get(st.ino);
          if (first === undefined) inodes.set(st.ino, prefix + path);
          group = ` linked-with ${first ?? prefix + path}`;
        }
        out.set(prefix + path, `file ${mode} ${st.size} ${hash}${group}`);
      } else out.set(prefix + path, 'special');
    }
  };
  await visit('');
  return out;
}

/** The entry without its hardlink group (for trees where only some names of a file were saved). */
export function withoutLinks(entry: string | undefined): string | undefined {
  return entry?.replace(/ linked-with .*$/, '');
}

/** Differences between what was expected and what is there, at most `limit` lines; [] when equal. */
export function diffTrees(expected: TreeState, actual: TreeState, limit = 12): string[] {
  const lines: string[] = [];
  for (const [path, want] of expected) {
    const got = actual.get(path);
    if (got === undefined) lines.push(`missing ${path} (${want})`);
    else if (got !== want) lines.push(`differs ${path}: want ${want}, got ${got}`);
  }
  for (const [path, got] of actual) if (!expected.has(path)) lines.push(`extra ${path} (${got})`);
  return lines.length > limit ? [...lines.slice(0, limit), `… and ${lines.length - limit} more`] : lines;
}

/** The entries of `state` at or below the top-level name `top`. */
export function subtree(state: TreeState, top: string): TreeState {
  return new Map([...state].filter(([path]) => path === top || path.startsWith(`${top}/`)));
}
