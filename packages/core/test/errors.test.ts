import { describe, expect, it } from 'vitest';
import { CairnError, fromSystemError, fromHex, isCairnError, toHex } from '@cairn/core';

describe('CairnError', () => {
  it('keeps code, hint and cause', () => {
    const cause = new Error('low level');
    const e = new CairnError('ERR_INTEGRITY', 'blob abc in pack def is damaged', { hint: 'run cairn check', cause });
    expect(e).toBeInstanceOf(Error);
    expect(isCairnError(e, 'ERR_INTEGRITY')).toBe(true);
    expect(isCairnError(e, 'ERR_NOT_FOUND')).toBe(false);
    expect(e.hint).toBe('run cairn check');
    expect(e.cause).toBe(cause);
  });

  it('translates errno codes and names what failed', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file"), { code: 'ENOENT' });
    const e = fromSystemError(enoent, '/tmp/x');
    expect(e.code).toBe('ERR_NOT_FOUND');
    expect(e.message).toContain('/tmp/x');
    expect(fromSystemError(Object.assign(new Error('full'), { code: 'ENOSPC' }), 'r').code).toBe('ERR_NO_SPACE');
    expect(fromSystemError(new Error('odd'), 'r').code).toBe('ERR_IO');
  });
});

describe('hex ids', () => {
  it('round-trips and rejects what is not an id', () => {
    const hex = 'ab'.repeat(32);
    expect(toHex(fromHex(hex))).toBe(hex);
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromHex('AB'.repeat(32))).toThrow(/not a 64-digit hex id/);
  });
});

describe('fromSystemError messages', () => {
  it('names the path once', () => {
    const node = Object.assign(new Error("ENOENT: no such file or directory, lstat '/tmp/x/y'"), { code: 'ENOENT' });
    expect(fromSystemError(node, '/tmp/x/y').message).toBe('/tmp/x/y: no such file or directory');
    const plain = Object.assign(new Error('disk on fire'), { code: 'EIO' });
    expect(fromSystemError(plain, 'repo').message).toBe('repo: disk on fire');
  });
});
