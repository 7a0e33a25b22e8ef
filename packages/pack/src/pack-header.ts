import { CairnError, ID_LENGTH } from '@cairn/core';
import type { PackedBlob } from '@cairn/core';
import { blobTypeFromCode, codecFromCode } from '@cairn/core';
import { requireBlobTypeCode, requireCodecCode } from './codes.js';
import { packValue, unpackValue, wireUint } from './msgpack.js';
import { PACK_DELTA_VERSION, PACK_FORMAT_VERSION, PACK_GROUP_VERSION, PACK_TRAILER_LENGTH } from './pack-trailer.js';

/**
 * The msgpack header listing `blobs`: `{ v: 1, blobs: [[type, id, offset, length, rawLength, codec], …] }`;
 * a pack holding a delta is `v: 2`, and each delta's entry has a seventh field, its base's id; a
 * pack holding a group is `v: 3`, and each member's entry (codec 3, the group's frame's offset and
 * length) has two more fields, `groupAt` and `groupRaw`.
 */
export function encodePackHeader(blobs: readonly PackedBlob[]): Uint8Array {
  let deltas = false;
  let groups = false;
  const entries = blobs.map((blob) => {
    const entry: unknown[] = [
      requireBlobTypeCode(blob.type),
      blob.id,
      wireUint(blob.offset),
      wireUint(blob.length),
      wireUint(blob.rawLength),
      requireCodecCode(blob.codec),
    ];
    if (blob.codec === 'delta') {
      if (blob.base === undefined) throw new TypeError('a delta blob must name its base');
      entry.push(blob.base);
      deltas = true;
    }
    if (blob.codec === 'group') {
      if (blob.groupAt === undefined || blob.groupRaw === undefined) throw new TypeError('a group member must give groupAt and groupRaw');
      entry.push(wireUint(blob.groupAt), wireUint(blob.groupRaw));
      groups = true;
    }
    return entry;
  });
  return packValue({ v: groups ? PACK_GROUP_VERSION : deltas ? PACK_DELTA_VERSION : PACK_FORMAT_VERSION, blobs: entries });
}

function uint(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'bigint') return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  return undefined;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Decodes and strictly checks the header of a pack of `packSize` bytes. ERR_VERSION for a
 * version other than 1; ERR_FORMAT naming `where` (and the entry number) for anything else
 * amiss: unreadable msgpack, unknown keys, a malformed entry, an id that is not 32 bytes, an
 * unknown type or codec, a blob outside [0, headerOffset) or overlapping the one before it.
 */
export function decodePackHeader(header: Uint8Array, packSize: number, where: string): PackedBlob[] {
  if (!(header instanceof Uint8Array)) throw new TypeError(`the header of ${where} must be a Uint8Array`);
  if (!Number.isSafeInteger(packSize) || packSize < 0) throw new RangeError(`packSize must be a byte count, got ${packSize}`);
  const fail = (problem: string): CairnError => new CairnError('ERR_FORMAT', `${where}: pack header ${problem}`);
  const headerOffset = packSize - PACK_TRAILER_LENGTH - header.length;
  if (headerOffset < 0) throw fail(`of ${header.length} bytes does not fit in a ${packSize}-byte pack`);
  let root: unknown;
  try {
    root = unpackValue(header);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CairnError('ERR_FORMAT', `${where}: pack header is not valid msgpack (${reason.slice(0, 80)})`, { cause: error });
  }
  if (!isPlainMap(root)) throw fail('is not a map');
  const version = uint(root['v']);
  if (version === undefined) throw fail('has no version');
  if (version < PACK_FORMAT_VERSION || version > PACK_GROUP_VERSION) {
    throw new CairnError('ERR_VERSION', `${where}: pack format version ${version} is not supported (this cairn reads versions ${PACK_FORMAT_VERSION} to ${PACK_GROUP_VERSION})`, {
      hint: 'a newer cairn wrote this repository; upgrade cairn to read it',
    });
  }
  const extra = Object.keys(root).filter((key) => key !== 'v' && key !== 'blobs');
  if (extra.length > 0) throw fail(`has unknown keys ${JSON.stringify(extra)}`);
  const entries = root['blobs'];
  if (!Array.isArray(entries)) throw fail('has no blob list');

  const blobs: PackedBlob[] = [];
  let previousEnd = 0;
  let previous: PackedBlob | undefined;
  for (const [i, entry] of entries.entries()) {
    const bad = (problem: string): CairnError => fail(`entry ${i}: ${problem}`);
    if (!Array.isArray(entry) || entry.length < 6 || entry.length > 8) throw bad('is not a list of 6 fields (7 for a delta, 8 for a group member)');
    const [typeCode, id, offsetField, lengthField, rawLengthField, codecField, baseField, groupRawField] = entry as unknown[];
    const typeNumber = uint(typeCode);
    const type = typeNumber === undefined ? undefined : blobTypeFromCode(typeNumber);
    if (type === undefined) throw bad(`has unknown blob type ${String(typeCode)}`);
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) throw bad(`has an id that is not ${ID_LENGTH} bytes`);
    const offset = uint(offsetField);
    const length = uint(lengthField);
    const rawLength = uint(rawLengthField);
    if (offset === undefined || length === undefined || rawLength === undefined) {
      throw bad('has an offset, length or raw length that is not an unsigned integer');
    }
    const codecNumber = uint(codecField);
    const codec = codecNumber === undefined ? undefined : codecFromCode(codecNumber);
    if (codec === undefined) throw bad(`has unknown codec ${String(codecField)}`);
    // The members of a group follow each other, each naming the group's one frame.
    const sameGroup = codec === 'group' && previous?.codec === 'group' && previous.offset === offset && previous.length === length && previous.groupRaw === uint(groupRawField);
    if (offset < previousEnd && !sameGroup) throw bad(`at offset ${offset} overlaps the blob before it (which ends at ${previousEnd})`);
    if (offset + length > headerOffset) throw bad(`at [${offset}, ${offset + length}) lies outside the blob area [0, ${headerOffset})`);
    if (codec === 'none' && length !== rawLength) throw bad(`is stored as is, yet its length ${length} is not its raw length ${rawLength}`);
    if ((codec === 'delta') !== (entry.length === 7)) throw bad(codec === 'delta' ? 'is a delta without its base' : 'has a base but is not a delta');
    if ((codec === 'group') !== (entry.length === 8)) throw bad(codec === 'group' ? 'is a group member without groupAt and groupRaw' : 'has group fields but is not a group member');
    if (codec === 'group') {
      if (version < PACK_GROUP_VERSION) throw bad(`is a group member in a pack of version ${version}`);
      if (type !== 'data') throw bad('is a group member but not a data blob');
      const groupAt = uint(baseField);
      const groupRaw = uint(groupRawField);
      if (groupAt === undefined || groupRaw === undefined) throw bad('has a groupAt or groupRaw that is not an unsigned integer');
      if (groupAt + rawLength > groupRaw) throw bad(`lies outside its group (groupAt ${groupAt} + rawLength ${rawLength} > groupRaw ${groupRaw})`);
      blobs.push({ id: new Uint8Array(id), type, offset, length, rawLength, codec, groupAt, groupRaw });
    } else if (codec === 'delta') {
      if (version < PACK_DELTA_VERSION) throw bad(`is a delta in a pack of version ${version}`);
      if (type !== 'data') throw bad('is a delta but not a data blob');
      if (!(baseField instanceof Uint8Array) || baseField.length !== ID_LENGTH) throw bad(`has a base that is not ${ID_LENGTH} bytes`);
      blobs.push({ id: new Uint8Array(id), type, offset, length, rawLength, codec, base: new Uint8Array(baseField) });
    } else {
      blobs.push({ id: new Uint8Array(id), type, offset, length, rawLength, codec });
    }
    previousEnd = offset + length;
    previous = blobs[blobs.length - 1];
  }
  return blobs;
}
