import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CairnError } from '@cairn/core';

/** The deflate window the board uses (2^10 bytes: little RAM on a microcontroller). */
export const BOARD_DEFLATE_BITS = 10;

/** A Python str literal for `text` (quotes, backslashes and control characters escaped; the rest as UTF-8). */
export function pyString(text: string): string {
  let out = "'";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\' || char === "'") out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}'`;
}

/** A Python bytes literal: printable ASCII as it is, everything else as \xHH (\n, \r, \t short). */
export function pyBytes(data: Uint8Array): string {
  let out = "b'";
  for (const byte of data) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x27) out += "\\'";
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}'`;
}

/** The length pyBytes(data) would have, without building it. */
export function pyBytesLength(data: Uint8Array): number {
  let length = 3;
  for (const byte of data) {
    if (byte === 0x5c || byte === 0x27 || byte === 0x0a || byte === 0x0d || byte === 0x09) length += 2;
    else length += byte >= 0x20 && byte < 0x7f ? 1 : 4;
  }
  return length;
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { n: 10, r: 13, t: 9, a: 7, b: 8, f: 12, v: 11, '0': 0, '\\': 92, "'": 39, '"': 34 };

/** Parses a bytes repr as MicroPython prints it (b'...' or b"...", with \xHH and the usual escapes). */
export function parsePyBytes(text: string): Buffer {
  const quote = text[1];
  if (text[0] !== 'b' || (quote !== "'" && quote !== '"') || text[text.length - 1] !== quote || text.length < 3) {
    throw new CairnError('ERR_FORMAT', `not a Python bytes literal: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const out: number[] = [];
  for (let i = 2; i < text.length - 1; i++) {
    const char = text.charCodeAt(i);
    if (char !== 0x5c) {
      if (char > 0xff) throw new CairnError('ERR_FORMAT', `a Python bytes literal holds a non-byte character at ${i}`);
      out.push(char);
      continue;
    }
    const next = text[i + 1] ?? '';
    if (next === 'x') {
      const hex = text.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new CairnError('ERR_FORMAT', `a bad \\x escape in a Python bytes literal at ${i}`);
      out.push(parseInt(hex, 16));
      i += 3;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple === undefined) throw new CairnError('ERR_FORMAT', `an unknown escape \\${next} in a Python bytes literal at ${i}`);
    out.push(simple);
    i += 1;
  }
  return Buffer.from(out);
}

/** Decodes one data line of the board helper (`B`base64, `H`hex, `Z`/`Y` deflate in base64/hex, `R`bytes repr). */
export function decodeDataLine(line: string): Buffer {
  const kind = line[0];
  const body = line.slice(1);
  switch (kind) {
    case 'B':
      return Buffer.from(body, 'base64');
    case 'Z':
      return inflateRawSync(Buffer.from(body, 'base64'));
    case 'R':
      return parsePyBytes(body);
    case 'H':
      return Buffer.from(body, 'hex');
    case 'Y':
      return inflateRawSync(Buffer.from(body, 'hex'));
    default:
      throw new CairnError('ERR_FORMAT', `not a data line of the board helper: ${JSON.stringify(line.slice(0, 80))}`);
  }
}

/** How the host can send file bytes to a board. */
export interface WriteEncodings {
  readonly base64: boolean;
  readonly deflate: boolean;
}

/**
 * The shortest helper call that writes `data` on the board: `_cV` (deflate + base64) when
 * the board can decompress and it pays, `_cY` with a bytes literal for text, else `_cW` with base64.
 */
export function encodeWriteCall(data: Uint8Array, encodings: WriteEncodings): string {
  const base64Length = Math.ceil(data.byteLength / 3) * 4;
  const literalLength = pyBytesLength(data);
  let best = encodings.base64 ? `_cW(b'${Buffer.from(data).toString('base64')}')` : `_cY(${pyBytes(data)})`;
  let bestLength = encodings.base64 ? base64Length + 3 : literalLength;
  if (encodings.base64 && literalLength < bestLength) {
    best = `_cY(${pyBytes(data)})`;
    bestLength = literalLength;
  }
  if (encodings.deflate && encodings.base64 && data.byteLength > 64) {
    const packed = deflateRawSync(data, { windowBits: BOARD_DEFLATE_BITS, level: 9, memLevel: 9 });
    const packedLength = Math.ceil(packed.byteLength / 3) * 4 + 3;
    if (packedLength < bestLength) best = `_cV(b'${packed.toString('base64')}')`;
  }
  return best;
}
