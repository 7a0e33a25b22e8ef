import { readdir, readFile } from 'node:fs/promises';

/** What a policy reads of the tree it decides for: folder listings (markers) and .gitignore files. */
export interface PolicyFs {
  /** Names in the folder at the absolute path; [] when it cannot be read. The policy never changes the list. */
  readdir(path: string): Promise<readonly string[]>;
  /** The text of the file at the absolute path, or null when there is none. */
  readText(path: string): Promise<string | null>;
  /** Optional: readdir without waiting (a walk's own listings): the policy then decides every entry without a promise. */
  readdirSync?(path: string): readonly string[];
  /** Optional: readText without waiting, beside readdirSync. */
  readTextSync?(path: string): string | null;
}

/** A PolicyFs over the local filesystem. */
export const localPolicyFs: PolicyFs = {
  readdir: (path) => readdir(path).catch(() => []),
  readText: (path) => readFile(path, 'utf8').catch(() => null),
};

/**
 * The absolute path of `rel` (relative, '/'-separated; '' for the folder itself) below the folder
 * `top`: "/srv/a" and "b/c" give "/srv/a/b/c", "/" and "etc" give "/etc" (not "//etc", which
 * no walk's listing is kept under).
 */
export function pathBelow(top: string, rel: string): string {
  if (rel === '') return top;
  return top.endsWith('/') ? `${top}${rel}` : `${top}/${rel}`;
}
