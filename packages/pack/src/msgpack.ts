import { Packr } from 'msgpackr';

// Standard msgpack only: plain maps, no records; 64-bit integers decode as bigint.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

/** `value` as msgpack, in a plain, exactly sized Uint8Array. */
export function packValue(value: unknown): Uint8Array {
  const bytes = packr.pack(value);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
}

/** Decodes one msgpack value that must fill all of `bytes`; throws msgpackr's error otherwise. */
export function unpackValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** An unsigned integer as msgpack must carry it: a number up to 32 bits, else a bigint (never a float). */
export function wireUint(value: number): number | bigint {
  return value <= 0xffff_ffff ? value : BigInt(value);
}
