import { ID_LENGTH, toHex } from '@cairn/core';
import type { BlobType, CodecName, Id, PackedBlob } from '@cairn/core';
import { checkId, checkUint } from './argument-checks.js';
import { blobTypeCode, blobTypeFromCode, codecCode, codecFromCode } from '@cairn/core';
import { describeValue } from './describe-value.js';

/** Where a blob is stored: its pack and its place in it. */
export interface BlobLocation {
  /** The pack's id; shared by every location in that pack, so do not modify it. */
  readonly packId: Id;
  readonly type: BlobType;
  readonly offset: number;
  readonly length: number;
  readonly rawLength: number;
  readonly codec: CodecName;
  /** A delta's base blob (codec 'delta' only). */
  readonly base?: Id;
  /** A group member's offset in its group's plaintext (codec 'group' only; offset and length are the group's frame). */
  readonly groupAt?: number;
  /** A group member's whole group's plaintext length (codec 'group' only). */
  readonly groupRaw?: number;
}

/** Every blob of a repository by id: the in-memory index loaded from the index files. */
export interface BlobIndex {
  /** Adds a pack's blobs; a blob already indexed keeps its first location (and counts as a duplicate). */
  addPack(packId: Id, blobs: readonly PackedBlob[]): void;
  /**
   * Adds the blobs `from` to `to` of `columns` to pack `packId`, as addPack does, without a
   * PackedBlob per blob (the index-file scanner's path). The fields must be valid: no checks.
   */
  addPackColumns(packId: Id, columns: BlobColumns, from: number, to: number): void;
  /** Makes room for `more` blobs beyond those held, so adding them never grows the arrays again. */
  reserve(more: number): void;
  /** True when `id` is indexed. */
  has(id: Id): boolean;
  /** Where `id` is stored, or undefined. */
  lookup(id: Id): BlobLocation | undefined;
  /** Number of distinct blobs. */
  readonly size: number;
  /** Number of distinct packs added. */
  readonly packCount: number;
  /** Blobs that were added again after their first location (in another pack or the same one). */
  readonly duplicates: number;
  /** The packs added, in the order they were first added (copies). */
  packIds(): Id[];
  /** Every blob and its location, in the order they were added. */
  entries(): IterableIterator<[Id, BlobLocation]>;
  /** Bytes held by the index's arrays (capacity included). */
  memoryBytes(): number;
}

/**
 * Blobs as columns: blob i's id is the 32 bytes of `idBytes` at `idAt[i]`, its type code
 * | codec code << 1 is `kind[i]`, and its offset, length and rawLength are `fields[3i..3i+2]`.
 */
export interface BlobColumns {
  readonly idBytes: Uint8Array;
  readonly idAt: Uint32Array;
  readonly kind: Uint8Array;
  readonly fields: Uint32Array;
  /** Per blob, where its base's 32-byte id is in `idBytes` for a delta, 0 for every other blob; absent when none is a delta. */
  readonly baseAt?: Uint32Array;
  /** Per blob, a group member's groupAt and groupRaw (two numbers; unused for other blobs); absent when none is a member. */
  readonly groupFields?: Uint32Array;
}

const WORDS = ID_LENGTH / 4;
/** The byte order of this machine's typed arrays (ids are compared as words in it). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const FIELDS = 4; // pack ordinal, offset, length, rawLength
const MAX_LOAD = 0.7;
const UINT32_MAX = 0xffff_ffff;
/** Below this many entries the arrays double; above it they grow by 1/8, so little RAM is slack. */
const DOUBLING_LIMIT = 1 << 16;

/**
 * Creates an empty BlobIndex. Entries live in typed arrays: the ids back to back, the
 * (pack ordinal, offset, length, rawLength) of each in one Uint32Array, type+codec in a
 * Uint8Array. An open-addressing table (power-of-two size, load <= 0.7, linear probing
 * from the id's first 4 bytes) holds entry number + 1 in its low bits and, in the bits
 * the slot number does not use, the rest of those 4 bytes: most probes that miss never
 * touch the ids. About 55-61 bytes per blob at millions of blobs.
 */
export function createBlobIndex(): BlobIndex {
  let count = 0;
  let capacity = 0;
  let duplicates = 0;
  let ids = new Uint8Array(0);
  let ids32 = new Int32Array(ids.buffer);
  let fields = new Uint32Array(0);
  let kinds = new Uint8Array(0); // bit 0: type code; bits 1..: codec code
  let table = new Int32Array(16); // 0: empty; else (first word & ~mask) | (entry + 1)
  let mask = table.length - 1;
  const packs: Id[] = [];
  /** The base id of each delta entry (few blobs are deltas, so no column for all). */
  const bases = new Map<number, Id>();
  /** groupAt, groupRaw of each entry: allocated with the first group member (a repository without groups pays nothing). */
  let groupFields: Uint32Array | null = null;
  const packOrdinals = new Map<string, number>();
  // The id being looked up, copied to an aligned buffer so it compares as 8 words.
  const key = new Uint8Array(ID_LENGTH);
  const key32 = new Int32Array(key.buffer);

  /** The slot holding the entry of `key`, or the empty slot where it would go. */
  const probe = (): number => {
    const k0 = key32[0]!;
    const tag = k0 & ~mask;
    let slot = k0 & mask;
    for (;;) {
      const value = table[slot]!;
      if (value === 0) return slot;
      if ((value & ~mask) === tag) {
        const b = ((value & mask) - 1) * WORDS;
        if (
          ids32[b] === k0 && ids32[b + 1] === key32[1] && ids32[b + 2] === key32[2] && ids32[b + 3] === key32[3] &&
          ids32[b + 4] === key32[4] && ids32[b + 5] === key32[5] && ids32[b + 6] === key32[6] && ids32[b + 7] === key32[7]
        ) {
          return slot;
        }
      }
      slot = (slot + 1) & mask;
    }
  };

  const find = (id: Id): number => {
    checkId(id, 'id');
    key.set(id);
    const value = table[probe()]!;
    return value === 0 ? -1 : (value & mask) - 1;
  };

  const locationAt = (entry: number): BlobLocation => {
    const kind = kinds[entry]!;
    const f = entry * FIELDS;
    const group = kind >>> 1 === GROUP_CODE;
    // Every field present, in one order (base, groupAt and groupRaw undefined where they do not
    // apply): locations of one shape keep their readers optimized as deltas and groups turn up.
    return {
      packId: packs[fields[f]!]!,
      type: blobTypeFromCode(kind & 1)!,
      offset: fields[f + 1]!,
      length: fields[f + 2]!,
      rawLength: fields[f + 3]!,
      codec: codecFromCode(kind >>> 1)!,
      base: bases.size === 0 ? undefined : bases.get(entry),
      groupAt: group ? groupFields![entry * 2]! : undefined,
      groupRaw: group ? groupFields![entry * 2 + 1]! : undefined,
    };
  };

  /** Room for `needed` blobs: exactly that many, or with the growth rule's slack. */
  const grow = (needed: number, exact = false): void => {
    const grown = capacity < DOUBLING_LIMIT ? capacity * 2 : capacity + Math.ceil(capacity / 8);
    capacity = exact ? needed : Math.max(needed, grown, 1024);
    const nextIds = new Uint8Array(capacity * ID_LENGTH);
    nextIds.set(ids);
    ids = nextIds;
    ids32 = new Int32Array(ids.buffer);
    const nextFields = new Uint32Array(capacity * FIELDS);
    nextFields.set(fields);
    fields = nextFields;
    const nextKinds = new Uint8Array(capacity);
    nextKinds.set(kinds);
    kinds = nextKinds;
    if (groupFields !== null) growGroups();
  };

  const growGroups = (): void => {
    const next = new Uint32Array(capacity * 2);
    if (groupFields !== null) next.set(groupFields);
    groupFields = next;
  };

  const rehash = (needed: number): void => {
    let size = table.length;
    while (needed > size * MAX_LOAD) size *= 2;
    table = new Int32Array(size);
    mask = size - 1;
    for (let entry = 0; entry < count; entry += 1) {
      const k0 = ids32[entry * WORDS]!;
      let slot = k0 & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = (k0 & ~mask) | (entry + 1);
    }
  };

  /** The ordinal of `packId` (added when new), after making room for `adding` more blobs. */
  const openPack = (packId: Id, adding: number): number => {
    const hex = toHex(packId);
    let ordinal = packOrdinals.get(hex);
    if (ordinal === undefined) {
      ordinal = packs.length;
      packs.push(new Uint8Array(packId));
      packOrdinals.set(hex, ordinal);
    }
    const needed = count + adding;
    if (needed > capacity) grow(needed);
    if (needed > table.length * MAX_LOAD) rehash(needed);
    return ordinal;
  };

  /** Adds the blob whose id is in `key` (a duplicate only counts); `base` is a delta's base id. */
  const insert = (ordinal: number, kind: number, offset: number, length: number, rawLength: number, base?: Id, groupAt = 0, groupRaw = 0): void => {
    const slot = probe();
    if (table[slot] !== 0) {
      duplicates += 1;
      return;
    }
    if (base !== undefined) bases.set(count, base);
    if (kind >>> 1 === GROUP_CODE) {
      if (groupFields === null) growGroups();
      groupFields![count * 2] = groupAt;
      groupFields![count * 2 + 1] = groupRaw;
    }
    const entry = count;
    count += 1;
    const w = entry * WORDS;
    for (let j = 0; j < WORDS; j += 1) ids32[w + j] = key32[j]!;
    const f = entry * FIELDS;
    fields[f] = ordinal;
    fields[f + 1] = offset;
    fields[f + 2] = length;
    fields[f + 3] = rawLength;
    kinds[entry] = kind;
    table[slot] = (key32[0]! & ~mask) | (entry + 1);
  };

  return {
    addPack(packId, blobs) {
      checkId(packId, 'packId');
      if (!Array.isArray(blobs)) throw new TypeError(`blobs must be an array, not ${describeValue(blobs)}`);
      const codes = blobs.map((blob: PackedBlob, i) => blobCode(blob) ?? checkBlob(blob, `blobs[${i}] of pack ${toHex(packId)}`));
      const ordinal = openPack(packId, blobs.length);
      for (let i = 0; i < blobs.length; i += 1) {
        const blob = blobs[i]!;
        key.set(blob.id);
        insert(ordinal, codes[i]!, blob.offset, blob.length, blob.rawLength, blob.base === undefined ? undefined : new Uint8Array(blob.base), blob.groupAt, blob.groupRaw);
      }
    },
    addPackColumns(packId, columns, from, to) {
      checkId(packId, 'packId');
      const { idBytes, idAt, kind, fields: values, baseAt, groupFields: groups } = columns;
      const view = new DataView(idBytes.buffer, idBytes.byteOffset, idBytes.byteLength);
      const ordinal = openPack(packId, to - from);
      for (let i = from; i < to; i += 1) {
        const at = idAt[i]!;
        for (let w = 0; w < WORDS; w += 1) key32[w] = view.getInt32(at + w * 4, LITTLE_ENDIAN);
        const at2 = baseAt?.[i] ?? 0;
        insert(ordinal, kind[i]!, values[i * 3]!, values[i * 3 + 1]!, values[i * 3 + 2]!, at2 === 0 ? undefined : idBytes.slice(at2, at2 + ID_LENGTH), groups?.[i * 2], groups?.[i * 2 + 1]);
      }
    },
    reserve(more) {
      checkUint(more, 'more');
      const needed = count + more;
      if (needed > capacity) grow(needed, true);
      if (needed > table.length * MAX_LOAD) rehash(needed);
    },
    has: (id) => find(id) >= 0,
    lookup(id) {
      const entry = find(id);
      return entry < 0 ? undefined : locationAt(entry);
    },
    get size() {
      return count;
    },
    get packCount() {
      return packs.length;
    },
    get duplicates() {
      return duplicates;
    },
    packIds: () => packs.map((id) => new Uint8Array(id)),
    *entries(): IterableIterator<[Id, BlobLocation]> {
      for (let entry = 0; entry < count; entry += 1) {
        yield [ids.slice(entry * ID_LENGTH, (entry + 1) * ID_LENGTH), locationAt(entry)];
      }
    },
    memoryBytes: () =>
      ids.byteLength + fields.byteLength + kinds.byteLength + table.byteLength + packs.length * ID_LENGTH + bases.size * (ID_LENGTH + 64) + (groupFields?.byteLength ?? 0),
  };
}

/** The type+codec byte of a valid blob (the fast path of addPack), or undefined. */
function blobCode(blob: PackedBlob): number | undefined {
  if (typeof blob !== 'object' || blob === null) return undefined;
  const { id, offset, length, rawLength } = blob;
  const type = blobTypeCode(blob.type);
  const codec = codecCode(blob.codec);
  const base = blob.base;
  const valid =
    id instanceof Uint8Array && id.byteLength === ID_LENGTH && type >= 0 && codec >= 0 &&
    isUint32(offset) && isUint32(length) && isUint32(rawLength) &&
    (blob.codec === 'delta' ? type === 0 && base instanceof Uint8Array && base.byteLength === ID_LENGTH : base === undefined) &&
    (blob.codec === 'group' ? type === 0 && validMember(blob) : blob.groupAt === undefined && blob.groupRaw === undefined);
  return valid ? type | (codec << 1) : undefined;
}

/** The wire code of codec 'group'. */
const GROUP_CODE = codecCode('group');

/** A group member's groupAt and groupRaw place it inside its group. */
function validMember(blob: PackedBlob): boolean {
  const { groupAt, groupRaw } = blob;
  return isUint32(groupAt) && isUint32(groupRaw) && groupAt! + blob.rawLength <= groupRaw!;
}

function isUint32(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;
}

/** Throws TypeError / RangeError naming what is wrong with one blob of addPack. */
function checkBlob(blob: PackedBlob, name: string): never {
  if (typeof blob !== 'object' || blob === null) throw new TypeError(`${name} must be a PackedBlob, not ${describeValue(blob)}`);
  checkId(blob.id, `${name}.id`);
  if (blobTypeCode(blob.type) < 0) throw new TypeError(`${name}.type must be 'data' or 'tree', not ${describeValue(blob.type)}`);
  if (codecCode(blob.codec) < 0) throw new TypeError(`${name}.codec must be 'none', 'zstd', 'delta' or 'group', not ${describeValue(blob.codec)}`);
  if (blob.codec === 'delta') {
    if (blob.type !== 'data') throw new TypeError(`${name} is a delta but not a data blob`);
    checkId(blob.base, `${name}.base`);
  } else if (blob.base !== undefined) {
    throw new TypeError(`${name}.base is set, but it is not a delta`);
  }
  if (blob.codec === 'group') {
    if (blob.type !== 'data') throw new TypeError(`${name} is a group member but not a data blob`);
    checkUint(blob.groupAt, `${name}.groupAt`, UINT32_MAX);
    checkUint(blob.groupRaw, `${name}.groupRaw`, UINT32_MAX);
    if (!validMember(blob)) throw new RangeError(`${name} lies outside its group (groupAt ${blob.groupAt} + rawLength ${blob.rawLength} > groupRaw ${blob.groupRaw})`);
  } else if (blob.groupAt !== undefined || blob.groupRaw !== undefined) {
    throw new TypeError(`${name}.groupAt or groupRaw is set, but it is not a group member`);
  }
  checkUint(blob.offset, `${name}.offset`, UINT32_MAX);
  checkUint(blob.length, `${name}.length`, UINT32_MAX);
  checkUint(blob.rawLength, `${name}.rawLength`, UINT32_MAX);
  throw new TypeError(`${name} is not a valid PackedBlob`);
}
