import type { Prng } from './prng.js';

/** Byte values of low-entropy content: 16 of them, so zstd packs them to about half. */
const NIBBLE_BYTES = Uint8Array.from([0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x30, 0x3f, 0x40, 0x7f, 0x80, 0xa5, 0xc0, 0xfe, 0xff]);

/** Fills `bytes` with compressible pseudo-random content (4 bits of entropy per byte, no repeats to deduplicate). */
export function fillCompressible(prng: Prng, bytes: Uint8Array): void {
  const n = bytes.byteLength;
  let i = 0;
  while (i < n) {
    let r = prng.u32();
    for (let k = 0; k < 8 && i < n; k += 1, i += 1) {
      bytes[i] = NIBBLE_BYTES[r & 15]!;
      r >>>= 4;
    }
  }
}
