import { CairnError } from '@cairn/core';
import { Packr } from 'msgpackr';

// Standard msgpack only: plain maps, no records, 64-bit integers as bigint.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

/** Encodes `value` as msgpack into a new, exactly sized Uint8Array. */
export function packValue(value: unknown): Uint8Array {
  return new Uint8Array(packr.pack(value));
}

/** Decodes one msgpack value filling all of `bytes`; anything unreadable is ERR_FORMAT naming `where`. */
export function unpackValue(bytes: Uint8Array, where: string, kind: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`the bytes of ${where} must be a Uint8Array`);
  try {
    // A fresh view: msgpackr caches a DataView on the buffer it reads, and the caller's stays untouched.
    return packr.unpack(bytes.subarray());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const problem = /unexpected end/i.test(reason) ? 'it is truncated' : `it is not valid msgpack (${reason.slice(0, 80)})`;
    throw new CairnError('ERR_FORMAT', `${where} is not a readable ${kind}: ${problem}`, { cause: error });
  }
}

/**
 * An integer as msgpack should carry it: a number when it fits 32 bits (compact encoding),
 * else a bigint (an int64/uint64, never a float).
 */
export function wireInt(value: number | bigint): number | bigint {
  const small = value >= -0x8000_0000 && value <= 0xffff_ffff;
  if (typeof value === 'bigint') return small ? Number(value) : value;
  return small ? value : BigInt(value);
}
