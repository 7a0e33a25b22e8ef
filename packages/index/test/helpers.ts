import { randomBytes } from 'node:crypto';
import { CairnError } from '@cairn/core';
import type { ErrorCode, Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { Packr } from 'msgpackr';
import { expect } from 'vitest';

/** The msgpack settings of the format, for crafting files by hand. */
export const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

/** The fields every tree node has, for the tree tests' nodes (spread, then name and type). */
export const nodeFields = {
  mode: 0o644, uid: 1000, gid: 100, mtimeNs: 1_704_164_645_123_456_789n, ctimeNs: 1_704_164_645_000_000_001n,
  ino: 12345n, dev: 2049n, nlink: 1, size: 0,
} as const;

/** A random 32-byte id. */
export function randomId(): Id {
  return new Uint8Array(randomBytes(32));
}

/** An id of 32 copies of `byte`. */
export function fixedId(byte: number): Id {
  return new Uint8Array(32).fill(byte);
}

/** The error `fn` throws (fails the test when it throws none). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}

/** Asserts `fn` throws a CairnError with `code` whose message contains every fragment. */
export function expectCairnError(fn: () => unknown, code: ErrorCode, ...fragments: string[]): CairnError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(CairnError);
  const cairn = error as CairnError;
  expect(cairn.code, cairn.message).toBe(code);
  for (const fragment of fragments) expect(cairn.message).toContain(fragment);
  return cairn;
}

/** A node of every type, names in UTF-8 past U+FFFF, and the integer fields at their ends: trees in the common layout. */
export const plainNodes: readonly TreeNode[] = [
  { ...nodeFields, name: 'zeta.txt', type: 'file', size: 11, content: [fixedId(1), fixedId(2)] },
  { ...nodeFields, name: 'src', type: 'dir', mode: 0o755, subtree: fixedId(3) },
  { ...nodeFields, name: 'link', type: 'symlink', mode: 0o777, linkTarget: '../elsewhere' },
  { ...nodeFields, name: 'ünïcode', type: 'symlink', mode: 0o777, linkTarget: 'zïel/\u{1F600}' },
  { ...nodeFields, name: 'pipe', type: 'fifo', rdev: 0 },
  { ...nodeFields, name: 'pipe2', type: 'fifo' },
  { ...nodeFields, name: 'tty', type: 'chardev', rdev: 0x0501 },
  { ...nodeFields, name: 'disk', type: 'blockdev', rdev: 2 ** 40 },
  { ...nodeFields, name: 'sock', type: 'socket' },
  { ...nodeFields, name: 'empty', type: 'file', content: [] },
  { ...nodeFields, name: '\uFF21', type: 'file', content: [fixedId(4)] },
  { ...nodeFields, name: '\u{1F600}', type: 'file', content: [fixedId(5)] },
  { ...nodeFields, name: 'x'.repeat(300), type: 'file', content: [] },
  {
    ...nodeFields, name: 'old', type: 'file', content: [randomId()], mtimeNs: -1_500_000_000n, ctimeNs: -(2n ** 63n),
    ino: 2n ** 64n - 1n, dev: 2n ** 40n, size: Number.MAX_SAFE_INTEGER, uid: 2 ** 32, nlink: 70_000,
  },
];
