import { describe, expect, it } from 'vitest';
import { assertMetadata, assertTargetPath } from '@cairn/core';
import { assertEntryName } from '../src/target-checks.js';
import type { EntryMetadata } from '@cairn/core';

const meta: EntryMetadata = { mode: 0o644, mtimeNs: 0n, uid: 0, gid: 0 };

describe('target checks (every Target refuses the same bad arguments)', () => {
  it('refuses entry names that are empty, dot, dot-dot, or hold "/" or NUL, naming the value', () => {
    for (const name of ['', '.', '..', 'a/b', 'a\0b']) expect(() => assertEntryName(name)).toThrow(TypeError);
    expect(() => assertEntryName('a/b')).toThrow('"a/b"');
    expect(() => assertEntryName('.hidden')).not.toThrow();
  });

  it('wants a target path to be a non-empty array of valid names', () => {
    expect(() => assertTargetPath([])).toThrow(TypeError);
    expect(() => assertTargetPath('a' as unknown as string[])).toThrow(TypeError);
    expect(() => assertTargetPath(['a', '..'])).toThrow('".."');
    expect(() => assertTargetPath(['a', 'b'])).not.toThrow();
  });

  it('refuses metadata out of range, naming the value', () => {
    expect(() => assertMetadata(meta)).not.toThrow();
    expect(() => assertMetadata({ ...meta, mode: 0o10000 })).toThrow(RangeError);
    expect(() => assertMetadata({ ...meta, mtimeNs: 1 as unknown as bigint })).toThrow(TypeError);
    expect(() => assertMetadata({ ...meta, uid: -1 })).toThrow('-1:0');
    expect(() => assertMetadata(null as unknown as EntryMetadata)).toThrow(TypeError);
  });
});
