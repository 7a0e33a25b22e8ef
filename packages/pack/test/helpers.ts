import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { CairnError } from '@cairn/core';
import type { ErrorCode } from '@cairn/core';

/** `length` deterministic pseudo-random (incompressible) bytes. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  let state = seed >>> 0 || 1;
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state >>> 0;
  }
  return new Uint8Array(words.buffer, 0, length);
}

/** `length` bytes of deterministic, source-code-like text (compresses 3-6x). */
export function sourceText(length: number, seed: number): Uint8Array {
  const words = ['const', 'let', 'function', 'return', 'if (', ') {', '}', 'await', 'export', 'import', '=>', ';\n', '  ', 'value', 'index', 'length', '+ 1', '=== null', 'throw new Error(', 'async'];
  let state = seed >>> 0 || 1;
  const out = Buffer.alloc(length);
  for (let position = 0; position < length; ) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const word = words[state % words.length]! + ((state >>> 12) % 4 === 0 ? String(state % 997) : '') + ' ';
    position += out.write(word, position);
  }
  return new Uint8Array(out.buffer, out.byteOffset, length);
}

/** SHA-256 of `parts` back to back. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** True when both hold the same bytes (a boolean, so a failure never diffs megabytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Asserts that `run` throws a CairnError with `code` whose message matches `message`; returns it. */
export function expectCairnError(run: () => unknown, code: ErrorCode, message?: RegExp): CairnError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CairnError);
  const error = thrown as CairnError;
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}
