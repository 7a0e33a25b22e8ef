/** Length in bytes of every cairn id (SHA-256). */
export const ID_LENGTH = 32;

/** A blob, pack, index or snapshot id: 32 raw bytes. */
export type Id = Uint8Array;

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses a 64-digit hex id; throws TypeError naming the value when it is not one. */
export function fromHex(hex: string): Id {
  if (!isHexId(hex)) throw new TypeError(`not a 64-digit hex id: ${JSON.stringify(hex)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** True when `value` is a 64-digit lower-case hex id. */
export function isHexId(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

/** The short form of a hex id that messages and human output show: its first 8 digits (as git's and restic's short ids). */
export function shortId(hex: string): string {
  return hex.slice(0, 8);
}

/** True when two ids hold the same bytes. */
export function idEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
