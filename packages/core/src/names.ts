/**
 * Entry names as bytes. A filesystem name is a byte string that need not be valid UTF-8; in
 * memory cairn keeps names as strings, and the bytes of a name that are not valid UTF-8 are
 * held losslessly as lone surrogates, one per byte (Python's "surrogateescape"): byte
 * 0x80–0xFF becomes U+DC80–U+DCFF. nameFromBytes and nameToBytes are exact inverses for every
 * byte string.
 */

const strict = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
/** With the u flag a surrogate pair is one code point: this matches lone surrogates only. */
const loneSurrogate = /\p{Surrogate}/u;

/** True when `name` holds raw bytes (lone surrogates): its bytes are not valid UTF-8. */
export function holdsRawBytes(name: string): boolean {
  return loneSurrogate.test(name);
}

/** The name of the bytes `bytes`: their UTF-8 text, with each byte outside a valid sequence as U+DC80–U+DCFF. */
export function nameFromBytes(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`name bytes must be a Uint8Array, got ${typeof bytes}`);
  try {
    return strict.decode(bytes);
  } catch {
    return decodeEscaping(bytes);
  }
}

/**
 * The name a %-escaped text of a URL's query gives: each %XX is its byte, "+" a space, any other
 * character its UTF-8 bytes (a malformed escape stays as it is); the bytes read as nameFromBytes
 * does, so a raw byte written as its own %XX (`caf%E9`) comes back as U+DC80–U+DCFF.
 */
export function nameFromQueryText(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (char === '+') {
      bytes.push(0x20);
    } else {
      for (const byte of encoder.encode(char)) bytes.push(byte);
    }
  }
  return nameFromBytes(Uint8Array.from(bytes));
}

/** The bytes of `name`: UTF-8, with U+DC80–U+DCFF as the raw bytes 0x80–0xFF. RangeError for any other lone surrogate. */
export function nameToBytes(name: string): Uint8Array {
  if (typeof name !== 'string') throw new TypeError(`a name must be a string, got ${typeof name}`);
  if (!holdsRawBytes(name)) return encoder.encode(name);
  const out: number[] = [];
  for (const char of name) {
    const code = char.codePointAt(0)!;
    if (code >= 0xdc80 && code <= 0xdcff) out.push(code - 0xdc00);
    else if (code >= 0xd800 && code <= 0xdfff) {
      throw new RangeError(`${JSON.stringify(name)} holds the lone surrogate U+${code.toString(16).toUpperCase()}, which stands for no byte`);
    } else for (const byte of encoder.encode(char)) out.push(byte);
  }
  return Uint8Array.from(out);
}

/** `text` for display and text-only records: each byte that is not UTF-8 shown as U+FFFD (lossy). */
export function wellFormedText(text: string): string {
  return holdsRawBytes(text) ? text.replace(/\p{Surrogate}/gu, '\uFFFD') : text;
}

/**
 * Orders two names by their bytes (what a filesystem and a tree sort by), without encoding them
 * where that is not needed: UTF-16 units compare as the UTF-8 bytes do below U+D800, and above it
 * once the surrogate pairs (U+10000 and up) are ranked after U+E000–U+FFFF. Only a name holding
 * raw bytes (U+DC80–U+DCFF, see nameFromBytes) is compared by its bytes; half a pair that is no
 * raw byte is no name, and throws (RangeError) only where its bytes are needed.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return holdsRawBytes(a) || holdsRawBytes(b) ? compareBytes(nameToBytes(a), nameToBytes(b)) : codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length; // one is a prefix of the other
}

/** A UTF-16 unit of a well-formed string, ranked as its UTF-8 lead byte ranks: surrogates (U+10000 and up) after U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  return unit < 0xd800 ? unit : unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The slow path: each valid UTF-8 sequence becomes its character, every other byte an escape. */
function decodeEscaping(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = validSequenceAt(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(0xdc00 + bytes[i]!);
      i += 1;
    } else {
      out += strict.decode(bytes.subarray(i, i + length));
      i += length;
    }
  }
  return out;
}

/** The length of the valid UTF-8 sequence at `i` (1–4), or 0 when the byte there starts none. */
function validSequenceAt(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, low = 0x80, high = 0xbf): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= low && b <= high;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    // E0: no overlong forms; ED: no surrogates (U+D800–U+DFFF).
    const [low, high] = b0 === 0xe0 ? [0xa0, 0xbf] : b0 === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, low, high) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    // F0: no overlong forms; F4: nothing above U+10FFFF.
    const [low, high] = b0 === 0xf0 ? [0x90, 0xbf] : b0 === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, low, high) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
