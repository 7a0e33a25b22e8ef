import { holdsRawBytes, nameToBytes } from '@cairn/core';

/**
 * The path to hand to node:fs for `path`: the string itself when it is well-formed, else a
 * Buffer of its bytes (a name that is not valid UTF-8 holds its bytes as U+DC80–U+DCFF, see
 * nameFromBytes), so that every file is reached by its real name. Every fs call of the local
 * source and target takes its path through this function.
 */
export function fsPath(path: string): string | Buffer {
  return holdsRawBytes(path) ? Buffer.from(nameToBytes(path)) : path;
}
