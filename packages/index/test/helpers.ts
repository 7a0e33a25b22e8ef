import { randomBytes } from 'node:crypto';
import { CairnError } from '@cairn/core';
import type { ErrorCode, Id } from '@cairn/core';
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
