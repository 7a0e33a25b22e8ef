import { describe, expect, it } from 'vitest';
import type { PackedBlob } from '@cairn/core';
import { decodeIndexFile, encodeIndexFile } from '@cairn/index';
import type { IndexPack } from '@cairn/index';
import { expectCairnError, fixedId, packr, randomId } from './helpers.js';

const blob = (byte: number, extra: Partial<PackedBlob> = {}): PackedBlob => ({
  id: fixedId(byte), type: 'data', offset: 0, length: 10, rawLength: 20, codec: 'zstd', ...extra,
});

const packs: IndexPack[] = [
  { id: fixedId(0xaa), blobs: [blob(1), blob(2, { type: 'tree', offset: 10, length: 70_000, rawLength: 70_000, codec: 'none' })] },
  { id: fixedId(0xbb), blobs: [blob(3, { offset: 2 ** 40, length: 2 ** 33, rawLength: Number.MAX_SAFE_INTEGER })] },
  { id: fixedId(0xcc), blobs: [] },
];
const WHERE = 'index/ab12cd';

/** An index file written by hand, to break one thing at a time. */
function craft(entry: unknown[], root: Record<string, unknown> = {}): Uint8Array {
  return packr.pack({ v: 1, packs: [{ id: fixedId(0xaa), blobs: [entry] }], ...root });
}
const goodEntry = (): unknown[] => [0, fixedId(1), 0, 10, 20, 1];

describe('index files', () => {
  it('round-trips packs and blobs, large offsets included', () => {
    expect(decodeIndexFile(encodeIndexFile(packs), WHERE)).toEqual(packs);
  });

  it('writes the documented layout with numeric type and codec codes', () => {
    const wire = packr.unpack(encodeIndexFile(packs.slice(0, 1))) as Record<string, unknown>;
    expect(Object.keys(wire)).toEqual(['v', 'packs']);
    expect(wire).toEqual({
      v: 1,
      packs: [{ id: fixedId(0xaa), blobs: [[0, fixedId(1), 0, 10, 20, 1], [1, fixedId(2), 10, 70_000, 70_000, 0]] }],
    });
    // Offsets past 32 bits are msgpack integers (read back as bigint), never floats.
    const big = packr.unpack(encodeIndexFile([packs[1]!])) as { packs: { blobs: unknown[][] }[] };
    expect(big.packs[0]!.blobs[0]!.slice(2, 5)).toEqual([2n ** 40n, 2n ** 33n, BigInt(Number.MAX_SAFE_INTEGER)]);
  });

  it('is deterministic', () => {
    const copy = packs.map((p) => ({ id: new Uint8Array(p.id), blobs: p.blobs.map((b) => ({ ...b, id: new Uint8Array(b.id) })) }));
    expect(encodeIndexFile(copy)).toEqual(encodeIndexFile(packs));
  });

  it('decodes ids as copies that do not alias the file', () => {
    const bytes = encodeIndexFile(packs);
    const [first] = decodeIndexFile(bytes, WHERE);
    bytes.fill(0);
    expect(first!.id).toEqual(fixedId(0xaa));
  });

  it('refuses a truncated file at every length, never returning part of it', () => {
    const bytes = encodeIndexFile(packs);
    for (let length = 0; length < bytes.length; length += 1) {
      expectCairnError(() => decodeIndexFile(bytes.subarray(0, length), WHERE), 'ERR_FORMAT', WHERE);
    }
    expectCairnError(() => decodeIndexFile(bytes.subarray(0, bytes.length - 1), WHERE), 'ERR_FORMAT', 'truncated');
  });

  it('refuses trailing bytes', () => {
    const bytes = encodeIndexFile(packs);
    expectCairnError(() => decodeIndexFile(Buffer.concat([bytes, Buffer.from([0])]), WHERE), 'ERR_FORMAT', WHERE);
  });

  it('refuses another format version with ERR_VERSION naming both versions', () => {
    const error = expectCairnError(() => decodeIndexFile(packr.pack({ v: 4, packs: [] }), WHERE), 'ERR_VERSION', WHERE, 'version 4', 'reads versions 1 to 3');
    expect(error.hint).toMatch(/upgrade/);
    expectCairnError(() => decodeIndexFile(packr.pack({ packs: [] }), WHERE), 'ERR_FORMAT', 'v is missing');
  });

  it('refuses every malformed field, naming where it is', () => {
    const cases: [unknown[] | Uint8Array, string][] = [
      [[0, fixedId(1), 0, 10, 20], 'has 5 fields'],
      [[2, fixedId(1), 0, 10, 20, 1], '[0] (type) is 2'],
      [[0, new Uint8Array(31), 0, 10, 20, 1], '[1] (id) is 31 bytes'],
      [[0, fixedId(1), -1, 10, 20, 1], '[2] (offset) is -1'],
      [[0, fixedId(1), 0, 1.5, 20, 1], '[3] (length) is 1.5'],
      [[0, fixedId(1), 0, 10, 2n ** 60n, 1], '[4] (rawLength) is 1152921504606846976, larger than 2^53 - 1'],
      [[0, fixedId(1), 0, 10, 20, 7], '[5] (codec) is 7'],
      [[0, 'ab', 0, 10, 20, 1], '[1] (id) is "ab"'],
      [packr.pack({ v: 1, packs: [{ id: fixedId(1) }] }), 'packs[0].blobs is missing'],
      [packr.pack({ v: 1, packs: [{ id: fixedId(1), blobs: [], extra: 1 }] }), 'packs[0].extra is not a known key'],
      [packr.pack({ v: 1, packs: {} }), 'packs is a map, expected an array'],
      [packr.pack([1, 2]), 'the top level is an array of 2'],
    ];
    for (const [entry, message] of cases) {
      const bytes = entry instanceof Uint8Array ? entry : craft(entry);
      expectCairnError(() => decodeIndexFile(bytes, WHERE), 'ERR_FORMAT', WHERE, message);
    }
    expect(decodeIndexFile(craft(goodEntry()), WHERE)[0]?.blobs[0]?.codec).toBe('zstd');
  });

  it('refuses bad arguments to the encoder', () => {
    expect(() => encodeIndexFile([{ id: randomId(), blobs: [blob(1, { type: 'x' as 'data' })] }])).toThrow(/packs\[0\]\.blobs\[0\]\.type/);
    expect(() => encodeIndexFile([{ id: new Uint8Array(2), blobs: [] }])).toThrow(TypeError);
    expect(() => encodeIndexFile([{ id: randomId(), blobs: [blob(1, { offset: -1 })] }])).toThrow(RangeError);
  });
});
