/**
 * A forward-only reader of msgpack bytes for the hand-written scanners of known layouts (index
 * files, trees): it reads headers and scalars in place, building no objects. It accepts only
 * the encodings it knows; on anything else it throws SCAN_MISS, and the scanner's caller
 * decodes the bytes with the full decoder instead (which gives the precise error, or the value).
 */

/** Thrown by a cursor (and the scanners over it) when the bytes are not what a fast path reads. */
export class ScanMiss extends Error {
  private constructor() {
    super('the fast msgpack scanner does not read these bytes; decode them fully');
  }

  /** The one instance: throwing it costs no stack capture. */
  static readonly instance = new ScanMiss();
}

/** Throws SCAN_MISS. */
export function scanMiss(): never {
  throw ScanMiss.instance;
}

const TWO_32 = 2 ** 32;
/** The high word of Number.MAX_SAFE_INTEGER. */
const SAFE_HIGH = 0x1f_ffff;

/** A position in msgpack bytes; every read moves past what it read. */
export class MsgpackCursor {
  readonly bytes: Uint8Array;
  readonly end: number;
  pos = 0;
  /** Where the bytes of the last str or bin read start (its length is what the read returned). */
  start = 0;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
    this.end = end;
  }

  /** The next tag byte, not consumed. */
  peek(): number {
    return this.pos < this.end ? this.bytes[this.pos]! : scanMiss();
  }

  /** True when every byte has been read. */
  get atEnd(): boolean {
    return this.pos === this.end;
  }

  /** A map header: its number of pairs. */
  map(): number {
    const tag = this.peek();
    if (tag >= 0x80 && tag <= 0x8f) {
      this.pos += 1;
      return tag & 0x0f;
    }
    if (tag === 0xde) return this.u16();
    if (tag === 0xdf) return this.u32();
    return scanMiss();
  }

  /** An array header: its number of items. */
  array(): number {
    const tag = this.peek();
    if (tag >= 0x90 && tag <= 0x9f) {
      this.pos += 1;
      return tag & 0x0f;
    }
    if (tag === 0xdc) return this.u16();
    if (tag === 0xdd) return this.u32();
    return scanMiss();
  }

  /** True when the next value is a str. */
  isStr(): boolean {
    const tag = this.peek();
    return (tag >= 0xa0 && tag <= 0xbf) || tag === 0xd9 || tag === 0xda || tag === 0xdb;
  }

  /** A str: its byte length; its bytes start at `start`. */
  str(): number {
    const tag = this.peek();
    let length: number;
    if (tag >= 0xa0 && tag <= 0xbf) {
      this.pos += 1;
      length = tag & 0x1f;
    } else if (tag === 0xd9) length = this.u8();
    else if (tag === 0xda) length = this.u16();
    else if (tag === 0xdb) length = this.u32();
    else return scanMiss();
    return this.body(length);
  }

  /** A bin: its byte length; its bytes start at `start`. */
  bin(): number {
    const tag = this.peek();
    let length: number;
    if (tag === 0xc4) length = this.u8();
    else if (tag === 0xc5) length = this.u16();
    else if (tag === 0xc6) length = this.u32();
    else return scanMiss();
    return this.body(length);
  }

  /** A bin of exactly `length` bytes: where its bytes start. */
  binOf(length: number): number {
    if (this.bin() !== length) scanMiss();
    return this.start;
  }

  /** A str whose bytes are `expected` (a map key); false, without moving, when it is another str or not a str. */
  key(expected: Uint8Array): boolean {
    const at = this.pos;
    if (!this.isStr()) return false;
    const length = this.str();
    if (length === expected.length) {
      let i = 0;
      while (i < length && this.bytes[this.start + i] === expected[i]) i += 1;
      if (i === length) return true;
    }
    this.pos = at;
    return false;
  }

  /** A non-negative integer of any integer encoding, up to 2^53 - 1. */
  uint(): number {
    const tag = this.peek();
    if (tag <= 0x7f) {
      this.pos += 1;
      return tag;
    }
    switch (tag) {
      case 0xcc:
      case 0xd0:
        return this.positive(tag === 0xcc ? this.u8() : this.view.getInt8(this.skip(2) + 1));
      case 0xcd:
      case 0xd1:
        return this.positive(tag === 0xcd ? this.u16() : this.view.getInt16(this.skip(3) + 1));
      case 0xce:
      case 0xd2:
        return this.positive(tag === 0xce ? this.u32() : this.view.getInt32(this.skip(5) + 1));
      case 0xcf:
      case 0xd3: {
        const at = this.skip(9);
        const high = this.view.getUint32(at + 1);
        if (high > SAFE_HIGH) return scanMiss();
        return high * TWO_32 + this.view.getUint32(at + 5);
      }
      default:
        return scanMiss();
    }
  }

  /** Skips an integer of any encoding; with `unsigned`, a negative one is a miss. */
  skipInt(unsigned: boolean): void {
    const tag = this.peek();
    if (tag <= 0x7f) {
      this.pos += 1;
      return;
    }
    if (tag >= 0xe0) {
      if (unsigned) scanMiss();
      this.pos += 1;
      return;
    }
    const size = INT_SIZES[tag - 0xcc];
    if (size === undefined) scanMiss();
    // Signed encodings (0xd0..0xd3) of a negative number: a miss for unsigned fields.
    if (unsigned && tag >= 0xd0 && (this.bytes[this.pos + 1] ?? 0) >= 0x80) scanMiss();
    this.skip(1 + size!);
  }

  /** The integer at `at` (any encoding, as skipInt accepted it) as a bigint. */
  bigIntAt(at: number): bigint {
    const tag = this.bytes[at]!;
    if (tag <= 0x7f) return BigInt(tag);
    if (tag >= 0xe0) return BigInt(tag - 0x100);
    const v = this.view;
    switch (tag) {
      case 0xcc: return BigInt(v.getUint8(at + 1));
      case 0xcd: return BigInt(v.getUint16(at + 1));
      case 0xce: return BigInt(v.getUint32(at + 1));
      case 0xcf: return v.getBigUint64(at + 1);
      case 0xd0: return BigInt(v.getInt8(at + 1));
      case 0xd1: return BigInt(v.getInt16(at + 1));
      case 0xd2: return BigInt(v.getInt32(at + 1));
      case 0xd3: return v.getBigInt64(at + 1);
      default: return scanMiss();
    }
  }

  /** Moves past `count` bytes that must all be there; returns where they start. */
  skip(count: number): number {
    const at = this.pos;
    if (at + count > this.end) scanMiss();
    this.pos = at + count;
    return at;
  }

  private body(length: number): number {
    this.start = this.skip(length);
    return length;
  }

  private positive(value: number): number {
    return value >= 0 ? value : scanMiss();
  }

  private u8(): number {
    return this.bytes[this.skip(2) + 1]!;
  }

  private u16(): number {
    return this.view.getUint16(this.skip(3) + 1);
  }

  private u32(): number {
    return this.view.getUint32(this.skip(5) + 1);
  }
}

/** Bytes after the tag of the integer encodings 0xcc..0xd3 (uint8..uint64, int8..int64). */
const INT_SIZES: readonly (number | undefined)[] = [1, 2, 4, 8, 1, 2, 4, 8];

/** The UTF-8 bytes of a key, for MsgpackCursor.key. */
export function keyBytes(key: string): Uint8Array {
  return new TextEncoder().encode(key);
}

/** True when the `length` bytes of `bytes` at `start` are `expected`. */
export function sameBytes(bytes: Uint8Array, start: number, length: number, expected: Uint8Array): boolean {
  if (length !== expected.length) return false;
  for (let i = 0; i < length; i += 1) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

/** Compares two byte ranges of `bytes` as Buffer.compare does. */
export function compareRanges(bytes: Uint8Array, a: number, aLength: number, b: number, bLength: number): number {
  const n = Math.min(aLength, bLength);
  for (let i = 0; i < n; i += 1) {
    const d = bytes[a + i]! - bytes[b + i]!;
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

/**
 * The number in `keys` of the map key at the cursor (read past it): `expected` is tried first (a
 * writer that keeps the keys' order gives it), then the others; a key not in `keys`, or one whose
 * bit is set in `seen` (given twice), is a miss.
 */
export function knownKey(c: MsgpackCursor, keys: readonly Uint8Array[], expected: number, seen: number): number {
  let key = expected < keys.length && c.key(keys[expected]!) ? expected : -1;
  for (let k = 0; k < keys.length && key < 0; k += 1) if (c.key(keys[k]!)) key = k;
  if (key < 0 || (seen & (1 << key)) !== 0) scanMiss();
  return key;
}
