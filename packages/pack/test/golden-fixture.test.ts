import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toHex } from '@cairn/core';
import { decodeBlob, decodePack } from '@cairn/pack';
import { loadNativeZstd } from '../src/zstd-native.js';
import { loadWasmZstd } from '../src/zstd-wasm.js';
import { sha256 } from './helpers.js';

// Written by the first version of @cairn/pack (native zstd, level 3); every later version must read it.
const fixture = new Uint8Array(readFileSync(new URL('./fixtures/v1-golden.pack', import.meta.url)));
const data = new TextEncoder().encode('cairn pack format v1 golden fixture\n'.repeat(64));
const tree = new TextEncoder().encode('{"nodes":[]}');

describe('the v1 golden pack', () => {
  it('keeps its bytes and id', () => {
    expect(fixture.length).toBe(178);
    expect(toHex(sha256(fixture))).toBe('a8ab355d31b20b8f90e30f7981e70a6ce46299ab1442f5de27d9617a7201e0af');
  });

  it('reads back with both codecs', async () => {
    const blobs = decodePack(fixture, 'v1-golden.pack');
    expect(blobs.map(({ type, offset, length, rawLength, codec }) => ({ type, offset, length, rawLength, codec }))).toEqual([
      { type: 'data', offset: 0, length: 59, rawLength: data.length, codec: 'zstd' },
      { type: 'tree', offset: 59, length: 12, rawLength: tree.length, codec: 'none' },
    ]);
    for (const zstd of [await loadNativeZstd(), await loadWasmZstd()]) {
      for (const [blob, raw] of [[blobs[0]!, data], [blobs[1]!, tree]] as const) {
        const plain = decodeBlob(fixture.subarray(blob.offset, blob.offset + blob.length), blob.codec, blob.rawLength, zstd, 'golden blob');
        expect(plain).toEqual(raw);
        expect(blob.id).toEqual(sha256(raw));
      }
    }
  });
});
