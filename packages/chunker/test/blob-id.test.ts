import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blobId } from '@cairn/chunker';
import { toHex } from '@cairn/core';
import { pseudoRandomBytes } from './helpers.js';

describe('blobId', () => {
  it('is the SHA-256 of the bytes, as a 32-byte Uint8Array', () => {
    const id = blobId(new TextEncoder().encode('abc'));
    expect(id).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(id)).toBe(false);
    expect(id.length).toBe(32);
    expect(toHex(id)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(blobId(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes only the view it is given', () => {
    const data = pseudoRandomBytes(10_000, 1);
    const view = data.subarray(100, 9_000);
    expect(toHex(blobId(view))).toBe(createHash('sha256').update(Buffer.from(data.slice(100, 9_000))).digest('hex'));
  });

  it('rejects what is not a Uint8Array', () => {
    expect(() => blobId('abc' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
