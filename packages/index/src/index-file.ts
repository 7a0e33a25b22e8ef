import { ID_LENGTH } from '@cairn/core';
import type { Id, PackedBlob } from '@cairn/core';
import type { BlobColumns, BlobIndex } from './blob-index.js';
import { checkId, checkUint } from './argument-checks.js';
import { blobTypeCode, blobTypeFromCode, codecCode, codecFromCode } from '@cairn/core';
import { describeValue } from './describe-value.js';
import { createFieldReader, own } from './field-reader.js';
import type { FieldReader } from './field-reader.js';
import { DELTA_FORMAT_VERSION, GROUP_FORMAT_VERSION } from './format-version.js';
import { packValue, unpackValue, wireInt } from './msgpack.js';
import { keyBytes, MsgpackCursor, ScanMiss, scanMiss } from './msgpack-cursor.js';

/** One pack of an index file and the blobs it holds. */
export interface IndexPack {
  readonly id: Id;
  readonly blobs: PackedBlob[];
}

/**
 * Encodes an index file: `{ v: 1, packs: [{ id, blobs: [[type, id, offset, length, rawLength, codec], …] }, …] }`;
 * a file naming a delta blob is `v: 2`, and each delta's entry has a seventh field, its base's id;
 * a file naming a group member is `v: 3`, and each member's entry (codec 3) has two more fields,
 * `groupAt` and `groupRaw` (its offset and length are those of its group's frame).
 */
export function encodeIndexFile(packs: readonly IndexPack[]): Uint8Array {
  if (!Array.isArray(packs)) throw new TypeError(`packs must be an array, not ${describeValue(packs)}`);
  const wirePacks = packs.map((pack: IndexPack, p) => {
    if (typeof pack !== 'object' || pack === null) throw new TypeError(`packs[${p}] must be an IndexPack, not ${describeValue(pack)}`);
    checkId(pack.id, `packs[${p}].id`);
    if (!Array.isArray(pack.blobs)) throw new TypeError(`packs[${p}].blobs must be an array, not ${describeValue(pack.blobs)}`);
    return { id: pack.id, blobs: pack.blobs.map((blob: PackedBlob, b) => blobEntry(blob, `packs[${p}].blobs[${b}]`)) };
  });
  const deltas = wirePacks.some((pack) => pack.blobs.some((entry) => entry.length === 7));
  const groups = wirePacks.some((pack) => pack.blobs.some((entry) => entry.length === 8));
  return packValue({ v: groups ? GROUP_FORMAT_VERSION : deltas ? DELTA_FORMAT_VERSION : 1, packs: wirePacks });
}

/** Decodes an index file; any deviation from the layout is ERR_FORMAT naming `where`, another `v` is ERR_VERSION. */
export function decodeIndexFile(bytes: Uint8Array, where: string): IndexPack[] {
  const read = createFieldReader(where, 'index file');
  const root = read.root(unpackValue(bytes, where, 'index file'), ['v', 'packs']);
  const version = read.uint(own(root, 'v'), 'v');
  return read.array(own(root, 'packs'), 'packs').map((value, p) => {
    const pack = read.map(value, `packs[${p}]`, ['id', 'blobs']);
    return {
      id: read.id(own(pack, 'id'), `packs[${p}].id`),
      blobs: read.array(own(pack, 'blobs'), `packs[${p}].blobs`).map((entry, b) => readBlobEntry(read, entry, `packs[${p}].blobs[${b}]`, version)),
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
  if (codec < 0) throw new TypeError(`${name}.codec must be 'none', 'zstd', 'delta' or 'group', not ${describeValue(blob.codec)}`);
  const entry: unknown[] = [type, blob.id, wireInt(blob.offset), wireInt(blob.length), wireInt(blob.rawLength), codec];
  if (blob.codec === 'delta') {
    if (blob.type !== 'data') throw new TypeError(`${name} is a delta but not a data blob`);
    checkId(blob.base, `${name}.base`);
    entry.push(blob.base);
  } else if (blob.base !== undefined) {
    throw new TypeError(`${name}.base is set, but it is not a delta`);
  }
  if (blob.codec === 'group') {
    if (blob.type !== 'data') throw new TypeError(`${name} is a group member but not a data blob`);
    checkUint(blob.groupAt, `${name}.groupAt`);
    checkUint(blob.groupRaw, `${name}.groupRaw`);
    if (blob.groupAt + blob.rawLength > blob.groupRaw) throw new RangeError(`${name} lies outside its group`);
    entry.push(wireInt(blob.groupAt), wireInt(blob.groupRaw));
  } else if (blob.groupAt !== undefined || blob.groupRaw !== undefined) {
    throw new TypeError(`${name}.groupAt or groupRaw is set, but it is not a group member`);
  }
  return entry;
}

/**
 * Reads `[type, id, offset, length, rawLength, codec]`, and a delta's base after them (a file of
 * version 2 or more), or a group member's groupAt and groupRaw (version 3).
 */
function readBlobEntry(read: FieldReader, value: unknown, path: string, version: number): PackedBlob {
  const entry = read.array(value, path);
  const allowed = entry.length === 6 || (entry.length === 7 && version >= DELTA_FORMAT_VERSION) || (entry.length === 8 && version >= GROUP_FORMAT_VERSION);
  if (!allowed) read.fail(path, `has ${entry.length} fields, expected 6 [type, id, offset, length, rawLength, codec]${version >= DELTA_FORMAT_VERSION ? ' (7 for a delta, its base last)' : ''}${version >= GROUP_FORMAT_VERSION ? ' (8 for a group member)' : ''}`);
  const typeCode = read.uint(entry[0], `${path}[0] (type)`);
  const type = blobTypeFromCode(typeCode) ?? read.fail(`${path}[0] (type)`, `is ${typeCode}, expected 0 (data) or 1 (tree)`);
  const id = read.id(entry[1], `${path}[1] (id)`);
  const offset = read.uint(entry[2], `${path}[2] (offset)`);
  const length = read.uint(entry[3], `${path}[3] (length)`);
  const rawLength = read.uint(entry[4], `${path}[4] (rawLength)`);
  const codecNumber = read.uint(entry[5], `${path}[5] (codec)`);
  const codec = codecFromCode(codecNumber) ?? read.fail(`${path}[5] (codec)`, `is ${codecNumber}, expected 0 (none), 1 (zstd), 2 (delta) or 3 (group)`);
  if ((codec === 'delta') !== (entry.length === 7)) read.fail(path, codec === 'delta' ? 'is a delta without its base' : 'has a base but is not a delta');
  if ((codec === 'group') !== (entry.length === 8)) read.fail(path, codec === 'group' ? 'is a group member without groupAt and groupRaw' : 'has group fields but is not a group member');
  if (codec === 'group') {
    if (type !== 'data') read.fail(path, 'is a group member but not a data blob');
    const groupAt = read.uint(entry[6], `${path}[6] (groupAt)`);
    const groupRaw = read.uint(entry[7], `${path}[7] (groupRaw)`);
    if (groupAt + rawLength > groupRaw) read.fail(path, `lies outside its group (groupAt ${groupAt} + rawLength ${rawLength} > groupRaw ${groupRaw})`);
    return { id, type, offset, length, rawLength, codec, groupAt, groupRaw };
  }
  if (codec !== 'delta') return { id, type, offset, length, rawLength, codec };
  if (type !== 'data') read.fail(path, 'is a delta but not a data blob');
  return { id, type, offset, length, rawLength, codec, base: read.id(entry[6], `${path}[6] (base)`) };
}

/** What scanIndexFile found: the packs (their ids in `bytes`) and their blobs as columns. */
export interface ScannedIndexFile extends BlobColumns {
  /** Per pack, where its 32-byte id is in `idBytes`. */
  readonly packIdAt: Uint32Array;
  /** Per pack and one past the last: pack p's blobs are `packStart[p]` to `packStart[p + 1]`. */
  readonly packStart: Uint32Array;
}

const KEY_V = keyBytes('v');
const KEY_PACKS = keyBytes('packs');
const KEY_ID = keyBytes('id');
const KEY_BLOBS = keyBytes('blobs');
/** The fewest bytes one blob entry takes: array tag, type, bin8 id, four one-byte numbers. */
const MIN_ENTRY_BYTES = 1 + 1 + 2 + ID_LENGTH + 4;
const UINT32_MAX = 0xffff_ffff;

/**
 * Reads an index file in place, without decoding it into objects: the layout encodeIndexFile
 * writes (keys in its order, integers that fit 32 bits, type and codec known). Anything else
 * throws SCAN_MISS: decodeIndexFile then reads it or gives its precise error.
 */
export function scanIndexFile(bytes: Uint8Array): ScannedIndexFile {
  const c = new MsgpackCursor(bytes);
  if (c.map() !== 2 || !c.key(KEY_V)) scanMiss();
  const version = c.uint();
  if ((version !== 1 && version !== DELTA_FORMAT_VERSION && version !== GROUP_FORMAT_VERSION) || !c.key(KEY_PACKS)) scanMiss();
  const packCount = c.array();
  if (packCount * (3 + KEY_ID.length + 2 + ID_LENGTH + KEY_BLOBS.length + 1) > bytes.length) scanMiss();
  const packIdAt = new Uint32Array(packCount);
  const packStart = new Uint32Array(packCount + 1);
  // No more entries than this fit in the bytes (a blob count above it is a damaged file); an
  // entry as encodeIndexFile writes it takes about 50 bytes, so little of the columns goes unused.
  const most = Math.floor(bytes.length / MIN_ENTRY_BYTES);
  const idAt = new Uint32Array(most);
  const kind = new Uint8Array(most);
  const fields = new Uint32Array(most * 3);
  const baseAt = version >= DELTA_FORMAT_VERSION ? new Uint32Array(most) : undefined;
  const groupFields = version >= GROUP_FORMAT_VERSION ? new Uint32Array(most * 2) : undefined;
  let n = 0;
  for (let p = 0; p < packCount; p += 1) {
    if (c.map() !== 2 || !c.key(KEY_ID)) scanMiss();
    packIdAt[p] = c.binOf(ID_LENGTH);
    if (!c.key(KEY_BLOBS)) scanMiss();
    const blobCount = c.array();
    if (n + blobCount > most) scanMiss();
    for (let b = 0; b < blobCount; b += 1, n += 1) {
      const fieldCount = c.array();
      if (fieldCount !== 6 && !(fieldCount === 7 && baseAt !== undefined) && !(fieldCount === 8 && groupFields !== undefined)) scanMiss();
      const type = c.uint();
      if (type > 1) scanMiss();
      idAt[n] = c.binOf(ID_LENGTH);
      const offset = c.uint();
      const length = c.uint();
      const rawLength = c.uint();
      const codec = c.uint();
      if (codec > 3 || offset > UINT32_MAX || length > UINT32_MAX || rawLength > UINT32_MAX) scanMiss();
      if ((codec === 2) !== (fieldCount === 7) || (codec === 2 && type !== 0)) scanMiss();
      if ((codec === 3) !== (fieldCount === 8) || (codec === 3 && type !== 0)) scanMiss();
      if (fieldCount === 7) baseAt![n] = c.binOf(ID_LENGTH);
      if (fieldCount === 8) {
        const groupAt = c.uint();
        const groupRaw = c.uint();
        if (groupRaw > UINT32_MAX || groupAt + rawLength > groupRaw) scanMiss();
        groupFields![n * 2] = groupAt;
        groupFields![n * 2 + 1] = groupRaw;
      }
      kind[n] = type | (codec << 1);
      fields[n * 3] = offset;
      fields[n * 3 + 1] = length;
      fields[n * 3 + 2] = rawLength;
    }
    packStart[p + 1] = n;
  }
  if (!c.atEnd) scanMiss();
  return { idBytes: bytes, idAt, kind, fields, packIdAt, packStart, ...(baseAt === undefined ? {} : { baseAt }), ...(groupFields === undefined ? {} : { groupFields }) };
}

/** An index file read for a BlobIndex, not yet added to one. */
export interface IndexFileEntries {
  /** Blob entries in the file (duplicates included): what adding it may take. */
  readonly blobCount: number;
  /** Adds its packs to `index`, as addPack does for each. */
  addTo(index: BlobIndex): void;
}

/**
 * Reads an index file for a BlobIndex, with decodeIndexFile's errors (ERR_FORMAT / ERR_VERSION
 * naming `where`). The common layout is scanned in place (no object per blob); anything else
 * goes through decodeIndexFile.
 */
export function readIndexFileEntries(bytes: Uint8Array, where: string): IndexFileEntries {
  let scanned: ScannedIndexFile;
  try {
    scanned = scanIndexFile(bytes);
  } catch (error) {
    if (!(error instanceof ScanMiss)) throw error;
    const packs = decodeIndexFile(bytes, where);
    return {
      blobCount: packs.reduce((sum, pack) => sum + pack.blobs.length, 0),
      addTo: (index) => {
        for (const pack of packs) index.addPack(pack.id, pack.blobs);
      },
    };
  }
  const { packIdAt, packStart } = scanned;
  return {
    blobCount: packStart[packIdAt.length]!,
    addTo: (index) => {
      for (let p = 0; p < packIdAt.length; p += 1) {
        const at = packIdAt[p]!;
        index.addPackColumns(bytes.subarray(at, at + ID_LENGTH), scanned, packStart[p]!, packStart[p + 1]!);
      }
    },
  };
}

/** Adds every pack of an index file to `index` (readIndexFileEntries, then addTo); nothing is added when it throws ERR_FORMAT / ERR_VERSION. */
export function addIndexFile(index: BlobIndex, bytes: Uint8Array, where: string): void {
  readIndexFileEntries(bytes, where).addTo(index);
}
