import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { PACK_TRAILER_LENGTH, decodePack, decodePackHeader, parsePackTrailer } from '@cairn/pack';
import { expectCairnError } from './helpers.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
const id = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);
const u8 = (...parts: (Uint8Array | number[] | string)[]): Uint8Array =>
  new Uint8Array(Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part)))));
const trailer = (headerLength: number): Uint8Array => {
  const bytes = u8(new Uint8Array(4), 'CAIRNPK1');
  new DataView(bytes.buffer).setUint32(0, headerLength, true);
  return bytes;
};
/** A pack of `blobArea` followed by `header` (a msgpack value, or raw bytes) and its trailer. */
const makePack = (blobArea: Uint8Array, header: unknown): Uint8Array => {
  const headerBytes = header instanceof Uint8Array ? header : new Uint8Array(packr.pack(header));
  return u8(blobArea, headerBytes, trailer(headerBytes.length));
};

describe('pack format version 1', () => {
  it('reads a pack written byte by byte from the specification', () => {
    // blobs "hello" (data, stored as is) and "{}" (tree, stored as is), then the header as a fixmap.
    const header = u8(
      [0x82, 0xa1, 0x76, 0x01, 0xa5], 'blobs', [0x92],
      [0x96, 0x00, 0xc4, 0x20], id(0x11), [0x00, 0x05, 0x05, 0x00],
      [0x96, 0x01, 0xc4, 0x20], id(0x22), [0x05, 0x02, 0x02, 0x00],
    );
    const pack = u8('hello{}', header, trailer(header.length));
    expect(decodePack(pack, 'golden pack')).toEqual([
      { id: id(0x11), type: 'data', offset: 0, length: 5, rawLength: 5, codec: 'none' },
      { id: id(0x22), type: 'tree', offset: 5, length: 2, rawLength: 2, codec: 'none' },
    ]);
    expect(parsePackTrailer(pack.subarray(-PACK_TRAILER_LENGTH), pack.length, 'golden pack')).toEqual({
      headerOffset: 7,
      headerLength: header.length,
    });
  });

  it('accepts 64-bit integer encodings and zstd entries whose length differs from the raw length', () => {
    const header = u8([0x82, 0xa1, 0x76, 0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0xa5], 'blobs', [0x91, 0x96, 0x00, 0xc4, 0x20], id(7), [0xcf, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xcd, 0x10, 0x00, 0x01]);
    expect(decodePack(u8('abc', header, trailer(header.length)), 'p')).toEqual([
      { id: id(7), type: 'data', offset: 0, length: 3, rawLength: 4096, codec: 'zstd' },
    ]);
  });
});

describe('parsePackTrailer and decodePack', () => {
  const good = makePack(u8('hello'), { v: 1, blobs: [[0, id(1), 0, 5, 5, 0]] });

  it('reject a bad magic with ERR_FORMAT naming where', () => {
    const bad = new Uint8Array(good);
    bad[bad.length - 1] = 0x32;
    expectCairnError(() => decodePack(bad, 'pack 5e1f'), 'ERR_FORMAT', /^pack 5e1f: not a cairn pack \(magic "CAIRNPK2"/);
  });

  it('reject a pack too short for a trailer', () => {
    expectCairnError(() => decodePack(good.subarray(-11), 'pack 0c'), 'ERR_FORMAT', /^pack 0c: 11 bytes is too short/);
    expectCairnError(() => decodePack(new Uint8Array(0), 'pack 0d'), 'ERR_FORMAT', /^pack 0d: /);
  });

  it('reject a header length that does not fit the pack', () => {
    const bad = u8(good.subarray(0, -PACK_TRAILER_LENGTH), trailer(good.length));
    expectCairnError(() => decodePack(bad, 'pack 77'), 'ERR_FORMAT', /^pack 77: pack header length \d+ does not fit in a \d+-byte pack/);
    expectCairnError(() => parsePackTrailer(trailer(0xffff_ffff), 100, 'pack 78'), 'ERR_FORMAT', /^pack 78: .*4294967295/);
  });

  it('reject a truncated header with ERR_FORMAT', () => {
    const header = new Uint8Array(packr.pack({ v: 1, blobs: [[0, id(1), 0, 5, 5, 0]] }));
    const bad = u8('hello', header.subarray(0, header.length - 4), trailer(header.length - 4));
    expectCairnError(() => decodePack(bad, 'pack ab'), 'ERR_FORMAT', /^pack ab: pack header is not valid msgpack/);
    const lost = good.subarray(3); // the first bytes are gone: the header no longer starts where the trailer says
    expectCairnError(() => decodePack(lost, 'pack ac'), 'ERR_FORMAT', /^pack ac: /);
  });

  it('reject another version with ERR_VERSION naming where', () => {
    const v4 = makePack(u8('hello'), { v: 4, blobs: [[0, id(1), 0, 5, 5, 0]], more: true });
    const error = expectCairnError(() => decodePack(v4, 'pack 2f'), 'ERR_VERSION', /^pack 2f: pack format version 4 is not supported/);
    expect(error.hint).toMatch(/upgrade/);
  });

  it.each<[string, unknown, RegExp]>([
    ['no version', { blobs: [] }, /has no version/],
    ['a string version', { v: '1', blobs: [] }, /has no version/],
    ['not a map', [1, []], /is not a map/],
    ['unknown keys', { v: 1, blobs: [], extra: 1 }, /unknown keys \["extra"\]/],
    ['no blob list', { v: 1, blobs: 3 }, /has no blob list/],
    ['an entry of 5 fields', { v: 1, blobs: [[0, id(1), 0, 5, 5]] }, /entry 0: is not a list of 6 fields/],
    ['an unknown type', { v: 1, blobs: [[2, id(1), 0, 5, 5, 0]] }, /entry 0: has unknown blob type 2/],
    ['an unknown codec', { v: 1, blobs: [[0, id(1), 0, 5, 5, 7]] }, /entry 0: has unknown codec 7/],
    ['a short id', { v: 1, blobs: [[0, id(1).subarray(1), 0, 5, 5, 0]] }, /entry 0: has an id that is not 32 bytes/],
    ['a string id', { v: 1, blobs: [[0, 'x'.repeat(32), 0, 5, 5, 0]] }, /entry 0: has an id/],
    ['a negative offset', { v: 1, blobs: [[0, id(1), -1, 5, 5, 0]] }, /entry 0: .*not an unsigned integer/],
    ['a fractional length', { v: 1, blobs: [[0, id(1), 0, 2.5, 5, 0]] }, /entry 0: .*not an unsigned integer/],
    ['a blob past the header', { v: 1, blobs: [[0, id(1), 0, 5, 5, 0], [0, id(2), 5, 1, 1, 0]] }, /entry 1: at \[5, 6\) lies outside the blob area \[0, 5\)/],
    ['overlapping blobs', { v: 1, blobs: [[0, id(1), 0, 3, 3, 0], [0, id(2), 2, 3, 3, 0]] }, /entry 1: at offset 2 overlaps the blob before it \(which ends at 3\)/],
    ['a stored blob whose raw length differs', { v: 1, blobs: [[0, id(1), 0, 5, 6, 0]] }, /entry 0: is stored as is, yet its length 5 is not its raw length 6/],
  ])('reject a header with %s with ERR_FORMAT naming where', (_name, header, message) => {
    const error = expectCairnError(() => decodePack(makePack(u8('hello'), header), 'pack 9d'), 'ERR_FORMAT', message);
    expect(error.message).toMatch(/^pack 9d: pack header /);
  });

  it('reject bytes after the header value', () => {
    const header = u8(new Uint8Array(packr.pack({ v: 1, blobs: [] })), [0x00]);
    expectCairnError(() => decodePack(makePack(u8('hello'), header), 'pack e0'), 'ERR_FORMAT', /^pack e0: pack header is not valid msgpack/);
  });

  it('decodePackHeader checks the header against the pack size', () => {
    const header = new Uint8Array(packr.pack({ v: 1, blobs: [[0, id(1), 0, 5, 5, 0]] }));
    expect(decodePackHeader(header, 5 + header.length + PACK_TRAILER_LENGTH, 'p')).toHaveLength(1);
    expectCairnError(() => decodePackHeader(header, 4 + header.length + PACK_TRAILER_LENGTH, 'pack 31'), 'ERR_FORMAT', /^pack 31: .*entry 0: .*outside/);
    expectCairnError(() => decodePackHeader(header, header.length, 'pack 32'), 'ERR_FORMAT', /^pack 32: pack header of \d+ bytes does not fit/);
  });
});
