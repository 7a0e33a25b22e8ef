import type { Id, PackedBlob } from '@cairn/core';
import { checkId, checkUint } from './argument-checks.js';
import { blobTypeCode, blobTypeFromCode, codecCode, codecFromCode } from '@cairn/core';
import { describeValue } from './describe-value.js';
import { createFieldReader, own } from './field-reader.js';
import type { FieldReader } from './field-reader.js';
import { FORMAT_VERSION } from './format-version.js';
import { packValue, unpackValue, wireInt } from './msgpack.js';

/** One pack of an index file and the blobs it holds. */
export interface IndexPack {
  readonly id: Id;
  readonly blobs: PackedBlob[];
}

/** Encodes an index file: `{ v: 1, packs: [{ id, blobs: [[type, id, offset, length, rawLength, codec], …] }, …] }`. */
export function encodeIndexFile(packs: readonly IndexPack[]): Uint8Array {
  if (!Array.isArray(packs)) throw new TypeError(`packs must be an array, not ${describeValue(packs)}`);
  const wirePacks = packs.map((pack: IndexPack, p) => {
    if (typeof pack !== 'object' || pack === null) throw new TypeError(`packs[${p}] must be an IndexPack, not ${describeValue(pack)}`);
    checkId(pack.id, `packs[${p}].id`);
    if (!Array.isArray(pack.blobs)) throw new TypeError(`packs[${p}].blobs must be an array, not ${describeValue(pack.blobs)}`);
    return { id: pack.id, blobs: pack.blobs.map((blob: PackedBlob, b) => blobEntry(blob, `packs[${p}].blobs[${b}]`)) };
  });
  return packValue({ v: FORMAT_VERSION, packs: wirePacks });
}

/** Decodes an index file; any deviation from the layout is ERR_FORMAT naming `where`, another `v` is ERR_VERSION. */
export function decodeIndexFile(bytes: Uint8Array, where: string): IndexPack[] {
  const read = createFieldReader(where, 'index file');
  const root = read.root(unpackValue(bytes, where, 'index file'), ['v', 'packs']);
  return read.array(own(root, 'packs'), 'packs').map((value, p) => {
    const pack = read.map(value, `packs[${p}]`, ['id', 'blobs']);
    return {
      id: read.id(own(pack, 'id'), `packs[${p}].id`),
      blobs: read.array(own(pack, 'blobs'), `packs[${p}].blobs`).map((entry, b) => readBlobEntry(read, entry, `packs[${p}].blobs[${b}]`)),
    };
  });
}

/** The wire array of one blob, after checking its fields. */
function blobEntry(blob: PackedBlob, name: string): unknown[] {
  if (typeof blob !== 'object' || blob === null) throw new TypeError(`${name} must be a PackedBlob, not ${describeValue(blob)}`);
  const type = blobTypeCode(blob.type);
  if (type < 0) throw new TypeError(`${name}.type must be 'data' or 'tree', not ${describeValue(blob.type)}`);
  checkId(blob.id, `${name}.id`);
  checkUint(blob.offset, `${name}.offset`);
  checkUint(blob.length, `${name}.length`);
  checkUint(blob.rawLength, `${name}.rawLength`);
  const codec = codecCode(blob.codec);
  if (codec < 0) throw new TypeError(`${name}.codec must be 'none' or 'zstd', not ${describeValue(blob.codec)}`);
  return [type, blob.id, wireInt(blob.offset), wireInt(blob.length), wireInt(blob.rawLength), codec];
}

/** Reads `[type, id, offset, length, rawLength, codec]`. */
function readBlobEntry(read: FieldReader, value: unknown, path: string): PackedBlob {
  const entry = read.array(value, path);
  if (entry.length !== 6) read.fail(path, `has ${entry.length} fields, expected 6 [type, id, offset, length, rawLength, codec]`);
  const typeCode = read.uint(entry[0], `${path}[0] (type)`);
  const type = blobTypeFromCode(typeCode) ?? read.fail(`${path}[0] (type)`, `is ${typeCode}, expected 0 (data) or 1 (tree)`);
  const id = read.id(entry[1], `${path}[1] (id)`);
  const offset = read.uint(entry[2], `${path}[2] (offset)`);
  const length = read.uint(entry[3], `${path}[3] (length)`);
  const rawLength = read.uint(entry[4], `${path}[4] (rawLength)`);
  const codecNumber = read.uint(entry[5], `${path}[5] (codec)`);
  const codec = codecFromCode(codecNumber) ?? read.fail(`${path}[5] (codec)`, `is ${codecNumber}, expected 0 (none) or 1 (zstd)`);
  return { id, type, offset, length, rawLength, codec };
}
